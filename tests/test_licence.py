"""The licence is stated where a reader looks: LICENSE (code, MIT), LICENSE-text.md, README, footer."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_code_licence_is_mit():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text


def test_text_licence_is_cc_by_4_with_link():
    text = (ROOT / "LICENSE-text.md").read_text(encoding="utf-8")
    assert "CC-BY-4.0" in text
    assert "https://creativecommons.org/licenses/by/4.0/" in text


def test_readme_licence_section_names_both_files():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Licence", 1)[1]
    assert "MIT" in section and "(LICENSE)" in section
    assert "CC-BY-4.0" in section and "(LICENSE-text.md)" in section


def test_book_footer_states_both_licences():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    footer = config["html"]["extra_footer"]
    assert "MIT" in footer and "CC-BY-4.0" in footer
