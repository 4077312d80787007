"""AtlasFileHandler and AtlasFetcher: the working directory, pickle-free save/load, atlases
from local files, and downloads from a real HTTP server on 127.0.0.1 (complete, missing,
truncated, refused) that never leave a partial file."""

from __future__ import annotations

import http.server
import pickle
import socket
import threading
import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from c2r_db import AtlasFetcher, AtlasFileHandler, AtlasMapper, get_working_directory
from c2r_db.compat.files import DownloadError
from c2r_db.compat.storage import FileFormatError
from c2r_db.errors import InputError, UnknownNameError

ATLAS = np.zeros((6, 7, 5), dtype=np.int16)
ATLAS[1:3, 1:4, 1:3] = 1
ATLAS[3:5, 2:6, 2:4] = 2
AFFINE = np.array([[2.0, 0, 0, -6], [0, 2, 0, -7], [0, 0, 2, -5], [0, 0, 0, 1]])


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def _nifti_bytes(tmp_path):
    path = tmp_path / "made.nii.gz"
    nib.save(nib.Nifti1Image(ATLAS, AFFINE), str(path))
    return path.read_bytes()


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/truncated.nii.gz":
            body = self.files["/atlas.nii.gz"]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.path not in self.files:
            self.send_error(404, "Not Found")
            return
        body = self.files[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    _Handler.files = {"/atlas.nii.gz": _nifti_bytes(tmp_path)}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_working_directory(home, tmp_path):
    assert get_working_directory() == str(home / "coord2region")
    assert get_working_directory("my_cache") == str(home / "my_cache")
    assert get_working_directory(str(tmp_path / "abs")) == str(tmp_path / "abs")
    assert (home / "my_cache").is_dir() and (tmp_path / "abs").is_dir()


def test_handler_folders(home):
    handler = AtlasFileHandler()
    assert handler.data_dir == str(home / "coord2region")
    for folder in (handler.cached_data_dir, handler.generated_images_dir, handler.results_dir,
                   handler.nilearn_data, handler.mne_data_dir):
        assert Path(folder).is_dir() and Path(folder).parent == home / "coord2region"


def test_save_and_load_data_without_pickle(home):
    handler = AtlasFileHandler("work")
    data = {"a": 1, 2: [1.5, None, "x"], "arr": np.arange(6).reshape(2, 3), ("t", 1): (True,),
            "names": np.array(["Precentral_L", "Insula_R"])}
    handler.save(data, "example.c2r")
    loaded = handler.load("example.c2r")
    assert loaded["a"] == 1 and loaded[2] == [1.5, None, "x"] and loaded[("t", 1)] == (True,)
    np.testing.assert_array_equal(loaded["arr"], data["arr"])
    assert loaded["names"].tolist() == ["Precentral_L", "Insula_R"]
    assert handler.load("missing.c2r") is None
    with pytest.raises(TypeError, match="without pickle"):
        handler.save({"f": object()}, "bad.c2r")
    with pytest.raises(TypeError, match="without pickle"):
        handler.save(np.array([object()]), "bad.c2r")
    assert not (Path(handler.data_dir) / "bad.c2r").exists()


def test_load_refuses_foreign_files(home):
    handler = AtlasFileHandler("work")
    folder = Path(handler.data_dir)
    (folder / "old.pkl").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="refusing to load it"):
        handler.load("old.pkl")
    with zipfile.ZipFile(folder / "other.npz", "w") as archive:
        archive.writestr("x.npy", b"not numpy")
    with pytest.raises(FileFormatError, match="not a file written by c2r-db"):
        handler.load("other.npz")


def test_save_and_load_mappers(home):
    handler = AtlasFileHandler("work")
    mapper = AtlasMapper("small", ATLAS, AFFINE, labels=["bg", "one", "two"])
    handler.save(mapper, "small.c2r")
    loaded = handler.load("small.c2r")
    assert isinstance(loaded, AtlasMapper)
    assert loaded.mni_to_region_name([-4.0, -5.0, -3.0]) == "one"


def test_fetch_from_local(home, tmp_path):
    folder = tmp_path / "atlases" / "nested"
    folder.mkdir(parents=True)
    nib.save(nib.Nifti1Image(ATLAS.astype(np.float32), AFFINE), str(folder / "small.nii.gz"))
    (folder / "small.csv").write_text("index,name\n1,One_L\n2,Two_R\n")
    handler = AtlasFileHandler("work")
    atlas = handler.fetch_from_local("small.nii.gz", str(tmp_path / "atlases"), "small.csv")
    np.testing.assert_array_equal(atlas["vol"], ATLAS)
    np.testing.assert_allclose(atlas["hdr"], AFFINE)
    assert atlas["labels"] == ["One_L", "Two_R"] and atlas["indexes"] == [1, 2]
    listed = handler.fetch_from_local("small.nii.gz", str(folder), ["bg", "A", "B"])
    assert listed["labels"] == ["bg", "A", "B"] and "indexes" not in listed
    with pytest.raises(InputError, match="'none.nii.gz' not found"):
        handler.fetch_from_local("none.nii.gz", str(folder), ["x"])
    nib.save(nib.Nifti1Image(np.zeros((3, 3, 3, 2), np.float32), AFFINE), str(folder / "p.nii"))
    with pytest.raises(InputError, match="3D label image"):
        handler.fetch_from_local("p.nii", str(folder), ["x"])


def test_fetch_from_url(home, server):
    handler = AtlasFileHandler("work")
    path = handler.fetch_from_url(f"{server}/atlas.nii.gz")
    assert Path(path) == Path(handler.data_dir) / "atlas.nii.gz"
    assert Path(path).read_bytes() == _Handler.files["/atlas.nii.gz"]
    _Handler.files["/atlas.nii.gz"] = b"changed"
    assert Path(handler.fetch_from_url(f"{server}/atlas.nii.gz")).read_bytes() != b"changed"
    renamed = handler.fetch_from_url(f"{server}/atlas.nii.gz", filename="again.nii.gz",
                                     force=True)
    assert Path(renamed).read_bytes() == b"changed"


@pytest.mark.parametrize("name, message", [
    ("missing.nii.gz", "HTTP 404 Not Found"),
    ("truncated.nii.gz", r"incomplete download, \d+ of \d+ bytes"),
])
def test_failed_download_leaves_nothing(home, server, name, message):
    handler = AtlasFileHandler("work")
    before = sorted(Path(handler.data_dir).iterdir())
    with pytest.raises(DownloadError, match=message) as caught:
        handler.fetch_from_url(f"{server}/{name}", timeout=5)
    assert f"{server}/{name}" in str(caught.value)
    assert sorted(Path(handler.data_dir).iterdir()) == before


def test_download_errors_are_clear(home):
    handler = AtlasFileHandler("work")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError, match="cannot connect"):
        handler.fetch_from_url(f"http://127.0.0.1:{port}/atlas.nii.gz", timeout=5)
    with pytest.raises(DownloadError, match="only http and https"):
        handler.fetch_from_url("file:///etc/passwd")
    with pytest.raises(TypeError, match="unknown download option"):
        handler.fetch_from_url("http://127.0.0.1/x.nii", retries=3)


def test_fetcher_by_name_file_and_url(db, home, server, tmp_path):
    fetcher = AtlasFetcher("work", db=db)
    assert fetcher.list_available_atlases() == sorted(db.atlas_names())
    atlas = fetcher.fetch_atlas("aal3")
    assert atlas["vol"].shape == (181, 217, 181) and atlas["background"] == -1
    assert atlas["labels"][0] == "Precentral_L" and atlas["indexes"][0] == 1
    local = tmp_path / "local.nii.gz"
    nib.save(nib.Nifti1Image(ATLAS, AFFINE), str(local))
    from_file = fetcher.fetch_atlas(str(local), labels=["bg", "one", "two"])
    np.testing.assert_array_equal(from_file["vol"], ATLAS)
    from_url = fetcher.fetch_atlas("remote", atlas_url=f"{server}/atlas.nii.gz",
                                   labels=["bg", "one", "two"])
    np.testing.assert_array_equal(from_url["vol"], ATLAS)
    mapper = AtlasMapper.from_fetched("remote", from_url)
    assert mapper.mni_to_region_name([-4.0, -5.0, -3.0]) == "one"
    with pytest.raises(UnknownNameError, match="unknown atlas 'aal9'"):
        fetcher.fetch_atlas("aal9")
    with pytest.raises(ValueError, match="prefer must be one of"):
        fetcher.fetch_atlas("aal3", prefer="web")


def test_fetcher_without_database_lists_the_shipped_atlases(home, tmp_path):
    fetcher = AtlasFetcher("work", db=tmp_path / "none.duckdb")
    assert "harvard_oxford" in fetcher.list_available_atlases()
    assert fetcher.data_dir == str(home / "work")
    assert fetcher.file_handler.data_dir == fetcher.data_dir
