"""Make the Windows and macOS icons from resources/icons/overfit-lab.png (needs Pillow; run
once when the icon changes: `python packaging/make_icons.py`). The bundle and the kits use
the files it writes, so neither build needs Pillow."""

from pathlib import Path

from PIL import Image

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"


def main() -> None:
    image = Image.open(ICONS / "overfit-lab.png").convert("RGBA")
    image.save(ICONS / "overfit-lab.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    image.save(ICONS / "overfit-lab.icns")
    for name in ("overfit-lab.ico", "overfit-lab.icns"):
        print(f"{ICONS / name}: {(ICONS / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
