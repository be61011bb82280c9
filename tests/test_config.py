"""config.toml: defaults, relative paths, unknown keys, wrong types with file and line."""

from pathlib import Path

import pytest

from revops_tui.config import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file():
    settings, notes = load_settings(None)
    assert settings.as_of == "latest" and settings.months == 13 and settings.currency == "USD"
    assert settings.gross_margin == 0.8 and settings.max_lifetime_months == 60
    assert settings.won_stages == ("closed_won",) and notes == []


def test_values_and_relative_paths(tmp_path):
    path = write(tmp_path, """
data = "exports"
as_of = "2024-03-15"
months = 24
currency = "EUR"
targets_file = "shared/targets.toml"
[metrics]
gross_margin = 0.7
[stages]
open = ["new", "working"]
won = ["won", "won_renewal"]
lost = ["lost"]
[quality]
accuracy = 2
[columns.customers]
customer_id = "AccountId"
""")
    s, notes = load_settings(path)
    assert s.data == tmp_path / "exports" and s.targets_file == tmp_path / "shared" / "targets.toml"
    assert s.as_of == "2024-03-15" and s.months == 24 and s.currency == "EUR"
    assert s.gross_margin == 0.7 and s.won_stages == ("won", "won_renewal")
    assert s.quality_weights["accuracy"] == 2.0 and s.quality_weights["validity"] == 1.0
    assert s.columns == {"customers": {"customer_id": "AccountId"}}
    assert notes == []


def test_unknown_key_is_a_warning_naming_it(tmp_path):
    path = write(tmp_path, 'data = "data"\nmonts = 12\n[metrics]\ngross_marign = 0.5\n')
    _, notes = load_settings(path)
    assert any("'monts'" in n and ":2:" in n for n in notes)
    assert any("'metrics.gross_marign'" in n and ":4:" in n for n in notes)


def test_wrong_type_names_key_file_and_line(tmp_path):
    path = write(tmp_path, '# demo\ndata = "data"\n\n[metrics]\ngross_margin = "high"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(err.value).startswith(f"{path}:5: key 'metrics.gross_margin'")
    assert "expected a number" in str(err.value)


def test_bad_as_of_and_months(tmp_path):
    with pytest.raises(ConfigError, match="as_of"):
        load_settings(write(tmp_path, 'as_of = "2024-13-45"\n'))
    with pytest.raises(ConfigError, match="months"):
        load_settings(write(tmp_path, "months = 0\n"))


def test_malformed_toml_and_unreadable_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML.*line 2"):
        load_settings(write(tmp_path, 'data = "x"\nmonths = = 3\n'))
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings(tmp_path / "missing.toml")


def test_stage_listed_twice(tmp_path):
    with pytest.raises(ConfigError, match="both open and won"):
        load_settings(write(tmp_path, '[stages]\nopen = ["a"]\nwon = ["a"]\n'))


@pytest.mark.parametrize("value", ["80", "-0.5", "0", "1.01"])
def test_gross_margin_must_be_a_fraction(tmp_path, value):
    path = write(tmp_path, f'data = "data"\n[metrics]\ngross_margin = {value}\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(err.value).startswith(f"{path}:3: key 'metrics.gross_margin': must be a fraction in (0, 1]")


def test_gross_margin_of_one_is_allowed(tmp_path):
    settings, _ = load_settings(write(tmp_path, "[metrics]\ngross_margin = 1\n"))
    assert settings.gross_margin == 1.0


@pytest.mark.parametrize("text, key", [
    ("[metrics]\ngross_margin = nan\n", "metrics.gross_margin"),
    ("[metrics]\nmax_lifetime_months = inf\n", "metrics.max_lifetime_months"),
    ("[quality]\naccuracy = nan\n", "quality.accuracy"),
    ("refresh_seconds = inf\n", "refresh_seconds"),
])
def test_numbers_must_be_finite(tmp_path, text, key):
    path = write(tmp_path, "# cfg\n" + text)
    with pytest.raises(ConfigError, match=rf"^{path}:\d: key '{key}': expected a finite number"):
        load_settings(path)


@pytest.mark.parametrize("text, where", [
    ('data = "d"\nstorage = "x"\n', ":2: key 'storage': must be a table like [storage]"),
    ('data = "d"\n[columns]\ncustomers = "x"\n', ":3: key 'columns.customers': must be a table"),
    ('data = "d"\n[metrics]\n[stages]\nopen = ["a"]\nmetrics = 1\n', None),
])
def test_errors_about_tables_name_the_line(tmp_path, text, where):
    path = write(tmp_path, text)
    if where is None:  # `metrics = 1` inside [stages] is an unknown key of [stages], not the table
        _, notes = load_settings(path)
        assert any("'stages.metrics'" in n and ":5:" in n for n in notes)
        return
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(err.value).startswith(f"{path}{where}")


def test_unknown_columns_table_warning_names_the_line(tmp_path):
    path = write(tmp_path, 'data = "d"\n\n[columns.nosuchtable]\na = "b"\n')
    _, notes = load_settings(path)
    assert notes == [f"{path}:3: key 'columns.nosuchtable' is not a known setting (ignored)"]
