import pytest

from engine.data.sources import DataError, load_image_folder


def _png(path, value=128, size=(8, 8)):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", size, value).save(path)

def test_image_folder_loads_and_names_problems(tmp_path):
    for c in ("cat", "dog"):
        for i in range(3):
            _png(tmp_path / "ok" / c / f"{i}.png", value=40 * i)
    x, y, classes = load_image_folder(str(tmp_path / "ok"), 16)
    assert x.shape == (6, 1, 16, 16) and classes == ["cat", "dog"] and y.tolist() == [0, 0, 0, 1, 1, 1]

    with pytest.raises(DataError, match="nowhere.*folder not found"):
        load_image_folder(str(tmp_path / "nowhere"), 16)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no class folders"):
        load_image_folder(str(tmp_path / "empty"), 16)
    _png(tmp_path / "hollow" / "cat" / "0.png")
    (tmp_path / "hollow" / "dog").mkdir()
    with pytest.raises(DataError, match=r"no images: .*hollow/dog"):
        load_image_folder(str(tmp_path / "hollow"), 16)
    _png(tmp_path / "stray" / "cat" / "0.png")
    _png(tmp_path / "stray" / "dog" / "0.png")
    (tmp_path / "stray" / "dog" / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match=r"not images.*notes.txt"):
        load_image_folder(str(tmp_path / "stray"), 16)
    _png(tmp_path / "broken" / "cat" / "0.png")
    (tmp_path / "broken" / "dog").mkdir(parents=True)
    (tmp_path / "broken" / "dog" / "0.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"unreadable images: .*broken/dog/0.png"):
        load_image_folder(str(tmp_path / "broken"), 16)
