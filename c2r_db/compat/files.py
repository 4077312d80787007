"""coord2region's working directory and ``AtlasFileHandler``: saving and loading objects
(pickle-free, :mod:`c2r_db.compat.storage`), reading atlas images from disk and downloading
them over HTTP(S).

A download is written to a temporary file beside its target and renamed into place only when
every byte announced by the server has arrived, so a failed download leaves no file behind.
Downloaded files are kept as served (``.nii.gz`` stays compressed: nibabel reads it).
"""

from __future__ import annotations

import http.client
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

from c2r_db.compat import storage
from c2r_db.errors import C2RError, InputError

__all__ = ["get_working_directory", "AtlasFileHandler", "DownloadError", "DOWNLOAD_OPTIONS",
           "CACHED_DATA"]

DOWNLOAD_OPTIONS = ("timeout", "filename", "force")
#: Subfolder of the working directory for cached datasets.
CACHED_DATA = "cached_data"
_SUBFOLDERS = {"cached_data_dir": CACHED_DATA, "generated_images_dir": "generated_images",
               "results_dir": "results", "nilearn_data": "nilearn_data",
               "mne_data_dir": "mne_data"}


class DownloadError(C2RError):
    """A URL could not be downloaded completely."""


def get_working_directory(base=None):
    """Return the absolute path of the coord2region working directory, creating it.

    Parameters
    ----------
    base : str, optional
        Default ``~/coord2region``. A relative path is taken relative to the home folder.

    Returns
    -------
    str
    """
    folder = Path.home() / "coord2region" if base is None else Path(base).expanduser()
    if not folder.is_absolute():
        folder = Path.home() / folder
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


def _find(name, folder, what):
    """``folder/name``, else the first file called ``name`` below ``folder``."""
    direct = Path(folder) / name
    if direct.is_file():
        return direct
    found = sorted(Path(folder).rglob(Path(name).name)) if Path(folder).is_dir() else []
    if not found:
        raise InputError(f"{what} {name!r} not found in {folder} or its subfolders")
    return found[0]


class AtlasFileHandler:
    """Handle file operations for atlas fetching.

    Parameters
    ----------
    data_dir : str or None
        Working directory (see :func:`get_working_directory`).
    subjects_dir : str or None
        FreeSurfer subjects directory (default ``$SUBJECTS_DIR``, else None).

    Attributes
    ----------
    data_dir, cached_data_dir, generated_images_dir, results_dir, nilearn_data,
    mne_data_dir : str
        The working directory and its subfolders (created).
    subjects_dir : str or None
    """

    def __init__(self, data_dir=None, subjects_dir=None):
        self.data_dir = get_working_directory(data_dir)
        if not os.access(self.data_dir, os.W_OK):
            raise ValueError(f"Data directory {self.data_dir} is not writable")
        for attribute, folder in _SUBFOLDERS.items():
            setattr(self, attribute, os.path.join(self.data_dir, folder))
            os.makedirs(getattr(self, attribute), exist_ok=True)
        subjects_dir = subjects_dir or os.environ.get("SUBJECTS_DIR")
        self.subjects_dir = str(Path(subjects_dir).expanduser()) if subjects_dir else None

    # --- objects ----------------------------------------------------------------------------

    def save(self, obj, filename):
        """Save an object to ``data_dir/filename`` (pickle-free; see module doc).

        Parameters
        ----------
        obj : AtlasMapper, MultiAtlasMapper, or plain data (numbers, strings, lists, tuples,
            dicts, numpy arrays)
        filename : str

        Raises
        ------
        TypeError
            If ``obj`` holds something that cannot be stored without pickle.
        """
        state = obj._state() if hasattr(obj, "from_state") else obj
        kind = type(obj).__name__ if hasattr(obj, "from_state") else "data"
        storage.write(os.path.join(self.data_dir, filename), kind, state)

    def load(self, filename):
        """Load an object saved by :meth:`save` (None if the file does not exist).

        Raises
        ------
        ValueError
            If the file was not written by c2r-db (it is never unpickled).
        """
        path = os.path.join(self.data_dir, filename)
        if not os.path.exists(path):
            return None
        kind, state = storage.read(path)
        if kind == "data":
            return state
        from c2r_db.compat.batch import MultiAtlasMapper
        from c2r_db.compat.mapper import AtlasMapper

        classes = {cls.__name__: cls for cls in (AtlasMapper, MultiAtlasMapper)}
        if kind not in classes:
            raise storage.FileFormatError(f"holds an unknown kind of object {kind!r}",
                                          path=path)
        return classes[kind].from_state(state)

    # --- atlases ----------------------------------------------------------------------------

    def fetch_from_local(self, atlas_file, atlas_dir, labels):
        """Load a 3D label atlas image from ``atlas_dir``.

        Parameters
        ----------
        atlas_file : str
            NIfTI file name (searched below ``atlas_dir`` when not directly in it).
        atlas_dir : str
        labels : str or list of str
            A label file (csv/tsv ``index,name``, ``id name`` text, FreeSurfer LUT or FSL
            XML; searched like ``atlas_file``), or names whose position is the label value.

        Returns
        -------
        dict
            ``vol`` (3D int array), ``hdr`` (4x4 affine), ``labels`` (list of names) and,
            for a label file, ``indexes`` (their label values).
        """
        import nibabel as nib

        path = _find(atlas_file, atlas_dir, "atlas file")
        try:
            image = nib.load(str(path))
        except Exception as exc:  # nibabel raises several types for unreadable images
            raise InputError(f"not a readable NIfTI image ({exc})", path=path) from None
        shape = image.shape
        if len(shape) == 4 and shape[3] == 1:
            image = image.slicer[..., 0]
        if len(image.shape) != 3:
            raise InputError(f"expected a 3D label image, got shape {shape}; build a 4D "
                             "probabilistic atlas into a database with 'c2r-db build "
                             "--atlas-file' and use AtlasMapper.from_database", path=path)
        data = np.asanyarray(image.dataobj)
        if data.dtype.kind == "f":
            if not np.array_equal(data, np.round(data)):
                raise InputError("image holds non-integer values, expected labels", path=path)
            data = data.astype(np.int64)
        atlas = {"vol": data, "hdr": np.asarray(image.affine, dtype=np.float64)}
        if isinstance(labels, (str, os.PathLike)):
            from build_index.labels import read_labels

            table = read_labels(_find(labels, atlas_dir, "labels file"))
            atlas["labels"], atlas["indexes"] = list(table.values()), list(table)
        else:
            atlas["labels"] = None if labels is None else [str(name) for name in labels]
        return atlas

    def fetch_from_url(self, atlas_url, **kwargs):
        """Download ``atlas_url`` into ``data_dir`` and return the local path.

        Parameters
        ----------
        atlas_url : str
            An http or https URL.
        timeout : float, optional
            Seconds to wait for the server (default 60).
        filename : str, optional
            Local file name (default: the last part of the URL path).
        force : bool, optional
            Download again even if the file is already there (default False).

        Returns
        -------
        str

        Raises
        ------
        DownloadError
            On any failure (HTTP error, connection refused, timeout, incomplete body); no
            partial file is left.
        """
        unknown = set(kwargs) - set(DOWNLOAD_OPTIONS)
        if unknown:
            raise TypeError(f"unknown download option(s) {', '.join(sorted(unknown))}; "
                            f"choose from {', '.join(DOWNLOAD_OPTIONS)}")
        parsed = urllib.parse.urlparse(atlas_url)
        if parsed.scheme not in ("http", "https"):
            raise DownloadError(f"{atlas_url}: only http and https URLs can be fetched")
        name = kwargs.get("filename") or Path(urllib.parse.unquote(parsed.path)).name
        if not name:
            raise DownloadError(f"{atlas_url}: the URL names no file; pass filename=")
        target = Path(self.data_dir) / name
        if target.is_file() and not kwargs.get("force", False):
            return str(target)
        try:
            with urllib.request.urlopen(atlas_url, timeout=kwargs.get("timeout", 60)) as reply:
                expected = reply.headers.get("Content-Length")
                with storage.atomic_path(target) as temporary:
                    with open(temporary, "wb") as handle:
                        shutil.copyfileobj(reply, handle)
                    received = temporary.stat().st_size
                    if expected is not None and received != int(expected):
                        raise DownloadError(f"{atlas_url}: incomplete download, {received} of "
                                            f"{expected} bytes")
        except urllib.error.HTTPError as exc:
            raise DownloadError(f"{atlas_url}: HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise DownloadError(f"{atlas_url}: cannot connect ({exc.reason})") from None
        except (http.client.HTTPException, OSError) as exc:
            raise DownloadError(f"{atlas_url}: download failed "
                                f"({type(exc).__name__}: {exc})") from None
        return str(target)
