"""The settings file: defaults when absent, typed values when present, precise errors when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskterm.config import ConfigError, Section, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_defaults() -> None:
    config = load_config()
    assert config.path is None
    assert config.shop.name == "Our shop"
    assert config.escalation_levels == ("tier 1", "tier 2", "lead")


def test_a_full_file_is_read_into_typed_settings(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            '[agent]\nname = "anna"\n[shop]\nname = "Northwind"\nsignature = "Anna, Northwind"\n'
            '[escalation]\nlevels = ["agent", "supervisor"]\n[keymap]\n"queue.down" = "n"\n',
        )
    )
    assert config.agent == "anna"
    assert (config.shop.name, config.shop.url, config.shop.signature) == (
        "Northwind",
        "",
        "Anna, Northwind",
    )
    assert config.escalation_levels == ("agent", "supervisor")
    assert config.raw["keymap"] == {"queue.down": "n"}


def test_a_partial_shop_table_keeps_the_default_name(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[shop]\nurl = "https://shop.example"\n'))
    assert config.shop.name == "Our shop"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[agent]\nname = 42\n", "agent.name", "must be text"),
        ('[agent]\nname = "  "\n', "agent.name", "cannot be empty"),
        ('shop = "x"\n', "shop", "must be a table"),
        ('[escalation]\nlevels = ["only"]\n', "escalation.levels", "at least two"),
        ("[agent\n", "(syntax)", "Expected"),
        ('[shpo]\nname = "Northwind"\n', "shpo", "is not a setting deskterm knows"),
    ],
)
def test_errors_name_the_file_the_key_and_the_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}: {key}: ")


def test_a_named_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


def test_a_section_is_validated_by_its_owner_once_per_read(tmp_path: Path) -> None:
    seen = []

    def parse_tui(raw: object, config: object) -> str:
        seen.append(raw)
        return "checked"

    config = load_config(write(tmp_path, '[tui]\nafter_action = "stay"\n'))
    section = Section("tui", parse_tui)
    assert (config.get(section), config.get(section)) == ("checked", "checked")
    assert seen == [{"after_action": "stay"}]
