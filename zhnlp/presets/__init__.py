"""Named training recipes (--preset NAME), one TOML file each; read by zhnlp.training.recipes."""
