"""Compiles the message catalogs (bot/locales/*/LC_MESSAGES/messages.po) to .mo while the package is built.

setuptools runs it for a wheel (`pip install .`) into the build folder, and for an editable install
(`pip install -e .`) in place beside each .po. The .mo files are build products, never committed;
where none was built, `bot.i18n` compiles the .po in memory at first use.
"""

from __future__ import annotations

from pathlib import Path

from setuptools.command.build_py import build_py

CATALOGS = Path(__file__).resolve().parent / "bot" / "locales"


class BuildWithCatalogs(build_py):
    """`build_py`, then every catalog compiled into the built package."""

    def run(self) -> None:
        super().run()
        target = CATALOGS if self.editable_mode else Path(self.build_lib) / "bot" / "locales"
        for path in compile_catalogs(CATALOGS, target):
            self.announce(f"compiled {path}", level=2)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        mo = [str(Path(self.build_lib) / "bot" / "locales" / p.relative_to(CATALOGS).with_suffix(".mo"))
              for p in sorted(CATALOGS.glob("*/LC_MESSAGES/messages.po"))]
        return [*super().get_outputs(include_bytecode), *mo]


def compile_catalogs(source: Path, target: Path) -> list[Path]:
    """Each .po under `source` compiled to a .mo at the same place under `target`."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        mo = (target / po.relative_to(source)).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as text, mo.open("wb") as compiled:
            write_mo(compiled, read_po(text))
        written.append(mo)
    return written
