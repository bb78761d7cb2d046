"""--preset, --config and --print-config of the train-* commands, and the recipe.toml a model directory records."""
from __future__ import annotations

import pytest
from helpers import FIXTURES, invoke, one_line_error
from safetensors.numpy import load_file

from zhnlp.training.recipes import PRESETS_DIR, RECIPE_FILE, load_preset, preset_names, read_recipe

SEGMENTED = FIXTURES / "tagging" / "segmented.txt"
TINY = ["--data-format", "segmented", "--epochs", "2", "--hidden", "8", "--emb-dim", "8", "-q"]


def printed(*args) -> dict:
    """The settings ``--print-config`` prints, read back as TOML."""
    import tomllib

    return tomllib.loads(invoke(*args, "--print-config").stdout)


def test_every_shipped_preset_resolves_for_its_command_with_its_own_values():
    names = preset_names()
    assert {"resume-ner", "msra-ner", "resume-ner-hmm", "ud-cws", "ud-pos", "shopping-category",
            "shopping-sentiment", "hotel-sentiment", "cmn-eng"} <= set(names)
    for name in names:
        preset = load_preset(name, _command_of(name))
        shown = printed(preset.command, "--preset", name)
        assert shown["command"] == preset.command
        for key, value in preset.settings.items():
            assert shown[key] == value, (name, key)


def _command_of(name: str) -> str:
    import tomllib

    return tomllib.loads((PRESETS_DIR / f"{name}.toml").read_text(encoding="utf-8"))["command"]


def test_the_command_line_wins_over_a_config_file_which_wins_over_the_preset(tmp_path):
    config = tmp_path / "mine.toml"
    config.write_text('hidden = 64\nlr = 0.01\nlexicon = ["a.txt", "b.txt"]\n', encoding="utf-8")
    shown = printed("train-cws", "--preset", "ud-cws", "--config", config, "--lr", "0.02")
    assert (shown["hidden"], shown["lr"], shown["batch-size"], shown["bigram"]) == (64, 0.02, 32, True)
    assert shown["lexicon"] == ["a.txt", "b.txt"]
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    assert printed("train-cws", "--config", tmp_path / "empty.toml") == printed("train-cws")


def test_recipe_toml_reads_back_what_it_wrote(tmp_path):
    from zhnlp.training.recipes import Recipe, record_recipe

    settings = {"dev": 'C:\\data\\"dev" 文件.bio', "lr": 1e-05, "epochs": 3, "bigram": False,
                "lexicon": ["a b.txt", "词典.txt"], "bigram-min-freq": 2, "weird key": 1.5}
    record_recipe(tmp_path, Recipe("train-ner", settings), "a comment\nof two lines")
    assert read_recipe(tmp_path, "train-ner").settings == settings


def test_a_trained_model_records_its_settings_and_config_dir_retrains_the_same_weights(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.txt").write_bytes(SEGMENTED.read_bytes())
    (data / "bilstm-crf").mkdir()
    monkeypatch.chdir(data)  # the data named relatively; the retraining runs elsewhere
    invoke("train-cws", "train.txt", *TINY, "--lr", "0.01", "-o", tmp_path / "m1")
    monkeypatch.chdir(tmp_path)
    recorded = read_recipe(tmp_path / "m1", "train-cws")
    assert recorded.settings["lr"] == 0.01 and recorded.settings["hidden"] == 8
    assert "output" not in recorded.settings and "quiet" not in recorded.settings
    assert recorded.settings["train"] == str(data / "train.txt")  # files by absolute path: --config works anywhere
    assert recorded.settings["model"] == "bilstm-crf"  # a name, even where a folder of that name exists
    invoke("train-cws", "--config", tmp_path / "m1", "-o", tmp_path / "m2", "-q")
    first, again = (load_file(tmp_path / m / "model.safetensors") for m in ("m1", "m2"))
    assert first.keys() == again.keys() and all((first[k] == again[k]).all() for k in first)
    invoke("train-cws", "--config", tmp_path / "m1" / RECIPE_FILE, "--hidden", "9", "-o", tmp_path / "m3", "-q")
    assert read_recipe(tmp_path / "m3", "train-cws").settings["hidden"] == 9


def test_print_config_trains_nothing_and_needs_no_data(tmp_path):
    r = invoke("train-ner", "--preset", "msra-ner", "--print-config", "-o", tmp_path / "m")
    assert r.stdout.startswith("# zhnlp train-ner settings: preset msra-ner < command line\n")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("args, needles", [
    (["train-ner", "--preset", "nosuch"], ["unknown preset 'nosuch' for train-ner", "resume-ner, resume-ner-hmm"]),
    (["train-ner", "--preset", "ud-cws"], ["unknown preset 'ud-cws' for train-ner"]),
    (["train-classifier", "--preset", "resume-ner"], ["shopping-category"]),
])
def test_an_unknown_preset_is_one_line_listing_the_command_s_presets(args, needles, tmp_path):
    one_line_error(invoke(*args, SEGMENTED, "-o", tmp_path / "m", ok=False), *needles)
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("text, needles", [
    ("hiden = 3\n", ["mine.toml: unknown setting 'hiden' for train-cws", "hidden, layers"]),
    ('hidden = "abc"\n', ["mine.toml: setting 'hidden'", "--hidden"]),
    ("bigram = 1\n", ["setting 'bigram' must be true or false, not 1"]),
    ("hidden = true\n", ["setting 'hidden' must be a value, not True"]),
    ('lexicon = "a.txt"\n', ["setting 'lexicon' must be a list"]),
    ("hidden = 3\nlr =\n", ["mine.toml:2: not valid TOML"]),
    ('command = "train-ner"\n', ["mine.toml: settings for train-ner, not train-cws"]),
    ("output = 'elsewhere'\n", ["unknown setting 'output'"]),
    ("[model]\nhidden = 3\n", ["'model': tables are not settings"]),
])
def test_a_bad_config_file_is_one_line_naming_it(text, needles, tmp_path):
    config = tmp_path / "mine.toml"
    config.write_text(text, encoding="utf-8")
    one_line_error(invoke("train-cws", SEGMENTED, "--config", config, "-o", tmp_path / "m", ok=False), *needles)
    assert not (tmp_path / "m").exists()


def test_config_of_a_folder_that_is_no_trained_model_is_one_line(tmp_path):
    one_line_error(invoke("train-cws", SEGMENTED, "--config", tmp_path, "-o", tmp_path / "m", ok=False),
                   f"{tmp_path}: a directory without recipe.toml")
