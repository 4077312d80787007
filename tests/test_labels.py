"""Label files: every supported format reads to {id: name}; malformed files name file and line."""

from __future__ import annotations

import pytest

from build_index.labels import read_labels
from c2r_db.errors import InputError


def _write(tmp_path, name, text, mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_csv_with_bom_and_extra_columns(tmp_path):
    path = _write(tmp_path, "l.csv", "\ufeffindex,name,colour\n1,Left_A,red\n2,Right B,blue\n")
    assert read_labels(path) == {1: "Left_A", 2: "Right B"}


def test_tsv_with_synonym_headers(tmp_path):
    path = _write(tmp_path, "l.tsv", "id\tlabel\n10\tPrecentral_L\n\n11\tPrecentral_R\n")
    assert read_labels(path) == {10: "Precentral_L", 11: "Precentral_R"}


def test_whitespace_and_freesurfer_lut(tmp_path):
    text = "# FreeSurfer colour table\n0 Unknown 0 0 0 0\n2   Left-Cerebral-White-Matter 245 245 245 0\n"
    text += "113 Vermis_1_2 113\n"
    assert read_labels(_write(tmp_path, "lut.txt", text)) == {
        0: "Unknown", 2: "Left-Cerebral-White-Matter", 113: "Vermis_1_2"}


def test_fsl_xml_offsets_for_3d_volumes(tmp_path):
    text = ('<?xml version="1.0"?><atlas><data>'
            '<label index="0" x="1" y="2" z="3">Frontal Pole</label>'
            '<label index="1">Insular Cortex</label></data></atlas>')
    path = _write(tmp_path, "a.xml", text)
    assert read_labels(path, volume_is_4d=True) == {0: "Frontal Pole", 1: "Insular Cortex"}
    assert read_labels(path, volume_is_4d=False) == {1: "Frontal Pole", 2: "Insular Cortex"}


@pytest.mark.parametrize("name, text, line, fragment", [
    ("dup.csv", "index,name\n1,A\n2,B\n1,C\n", 4, "listed twice"),
    ("bad.csv", "index,name\n1,A\nx,B\n", 3, "not an integer"),
    ("nohead.csv", "a,b\n1,A\n", 1, "needs an id column"),
    ("short.txt", "1 A\n2\n", 2, "expected 'id name'"),
    ("frac.txt", "1.5 A\n", 1, "not an integer"),
])
def test_malformed_files_name_the_line(tmp_path, name, text, line, fragment):
    path = _write(tmp_path, name, text)
    with pytest.raises(InputError, match=fragment) as info:
        read_labels(path)
    assert info.value.line == line and str(path) in str(info.value)


def test_binary_empty_and_bad_xml(tmp_path):
    with pytest.raises(InputError, match="binary"):
        read_labels(_write(tmp_path, "b.txt", b"\x00\x01\x02", mode="wb"))
    with pytest.raises(InputError, match="lists no regions"):
        read_labels(_write(tmp_path, "e.txt", "# nothing\n"))
    with pytest.raises(InputError, match="not valid XML"):
        read_labels(_write(tmp_path, "x.xml", "<atlas><label index='0'>A</atlas>"))
    with pytest.raises(InputError, match="cannot read"):
        read_labels(tmp_path / "missing.csv")
