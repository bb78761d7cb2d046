"""Training: the one trainer, batching, model directories, metrics, plots and ensembles."""
