"""Canvas QTI 1.2 export: package layout, keys from the bank and torch, escaping, determinism."""

from __future__ import annotations

import html
import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import torch

from lrcourse.cli import main
from lrcourse.grading.export import export_all
from lrcourse.grading.gradebook import Gradebook, GradeRow
from lrcourse.grading.lms import assignment_questions
from lrcourse.grading.manifest import GRADABLE_TYPES, Manifest, Slot, load_questions
from lrcourse.grading.qti import qti_file_name, qti_package
from lrcourse.quiz.html import render_markdown
from lrcourse.quiz.model import (
    MultipleChoice,
    Numeric,
    QuestionModel,
    SingleChoice,
)
from tests.grading.helpers import BANKS

NS = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}
CP = {"cp": "http://www.imsglobal.org/xsd/imscp_v1p1"}
CODE_QUESTION = "grading-test.make-step-scheduler"
ODD_TEXT = '<b>&"é'


class Package:
    """An unzipped QTI package: entry names, parsed manifest and assessment (comments kept)."""

    def __init__(self, data: bytes) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.names = self.zip.namelist()
        self.manifest = ET.fromstring(self.zip.read("imsmanifest.xml"))
        resource = self.manifest.find("cp:resources/cp:resource", CP)
        assert resource is not None
        self.resource = resource
        href = resource.get("href")
        assert href is not None
        parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
        parser.feed(self.zip.read(href))
        self.assessment = parser.close()

    def items(self) -> dict[str, ET.Element]:
        """Return the items by title (the question id)."""
        found = self.assessment.findall("q:assessment/q:section/q:item", NS)
        return {item.get("title", ""): item for item in found}


def _metadata(item: ET.Element) -> dict[str, str]:
    fields = item.findall("q:itemmetadata/q:qtimetadata/q:qtimetadatafield", NS)
    return {f.findtext("q:fieldlabel", "", NS): f.findtext("q:fieldentry", "", NS) for f in fields}


def _scoring(item: ET.Element) -> ET.Element:
    """Return the conditionvar of the condition that sets SCORE to 100."""
    for condition in item.findall("q:resprocessing/q:respcondition", NS):
        setvar = condition.find("q:setvar", NS)
        if setvar is not None and setvar.get("varname") == "SCORE" and setvar.text == "100":
            found = condition.find("q:conditionvar", NS)
            assert found is not None
            return found
    raise AssertionError("no condition sets SCORE to 100")


def _parents(root: ET.Element) -> dict[ET.Element, ET.Element]:
    return {child: parent for parent in root.iter() for child in parent}


def _required_and_excluded(condition: ET.Element) -> tuple[set[str], set[str]]:
    """Return the idents a right answer must pick and those it must not (under ``not``)."""
    parents = _parents(condition)
    required, excluded = set(), set()
    for var in condition.iter(f"{{{NS['q']}}}varequal"):
        (excluded if parents[var].tag.endswith("}not") else required).add(var.text or "")
    return required, excluded


@pytest.fixture(scope="module")
def package(manifest: Manifest, questions: dict[str, QuestionModel]) -> Package:
    return Package(qti_package(manifest, assignment_questions(manifest, questions)))


def test_the_zip_holds_the_manifest_and_the_assessment_it_points_at(package: Package) -> None:
    assert package.resource.get("type") == "imsqti_xmlv1p2"
    href = package.resource.get("href")
    files = [f.get("href") for f in package.resource.findall("cp:file", CP)]
    assert files == [href]
    assert sorted(package.names) == sorted(["imsmanifest.xml", href])
    assert package.manifest.findtext("cp:metadata/cp:schemaversion", "", CP) == "1.1.3"
    assessment = package.assessment.find("q:assessment", NS)
    assert assessment is not None and assessment.get("title") == "hw-test"
    assert href == f"{assessment.get('ident')}/{assessment.get('ident')}.xml"
    section = assessment.find("q:section", NS)
    assert section is not None and section.get("ident") == "root_section"


def test_choice_keys_are_exactly_the_options_the_bank_marks_correct(
    package: Package, questions: dict[str, QuestionModel]
) -> None:
    items = package.items()
    choices = [q for q in questions.values() if isinstance(q, SingleChoice | MultipleChoice)]
    assert {q.type for q in choices} == {"single", "multiple"}
    for question in choices:
        item = items[question.id]
        labels = item.findall("q:presentation/q:response_lid/q:render_choice/q:response_label", NS)
        assert len(labels) == len(question.options)
        ident_of = {}
        for option, label in zip(question.options, labels, strict=True):
            text = label.findtext("q:material/q:mattext", "", NS)
            assert text == render_markdown(option.text, inline=True)
            ident_of[option.key] = label.get("ident", "")
        marked = set(
            question.answers if isinstance(question, MultipleChoice) else [question.answer]
        )
        required, excluded = _required_and_excluded(_scoring(item))
        assert required == {ident_of[k] for k in marked}
        if isinstance(question, MultipleChoice):
            assert excluded == {ident_of[k] for k in ident_of if k not in marked}
        else:
            assert excluded == set()
        meta = _metadata(item)
        assert meta["original_answer_ids"] == ",".join(ident_of[o.key] for o in question.options)
        assert all(i.isdigit() for i in ident_of.values())  # Canvas keeps numeric answer ids
        expected_type = {"single": "multiple_choice_question"}.get(
            question.type, "multiple_answers_question"
        )
        assert meta["question_type"] == expected_type
        assert meta["points_possible"] == "1.0"
        assert meta["assessment_question_identifierref"]


def test_numeric_range_is_the_torch_key_plus_or_minus_the_bank_tolerance(
    package: Package, questions: dict[str, QuestionModel]
) -> None:
    question = questions["grading-test.rate-after-decay"]
    assert isinstance(question, Numeric)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.2)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    for _ in range(2):
        opt.step()
        sched.step()
    key = sched.get_last_lr()[0]
    margin = max(question.tolerance.abs, question.tolerance.rel * abs(key))
    item = package.items()[question.id]
    assert _metadata(item)["question_type"] == "numerical_question"
    condition = _scoring(item)
    assert float(condition.findtext("q:or/q:varequal", "", NS)) == key
    assert float(condition.findtext("q:or/q:and/q:vargte", "", NS)) == key - margin
    assert float(condition.findtext("q:or/q:and/q:varlte", "", NS)) == key + margin
    assert margin > 0


def test_predict_is_a_short_answer_keyed_by_what_torch_prints(
    package: Package, questions: dict[str, QuestionModel]
) -> None:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    item = package.items()["grading-test.steplr-after-three"]
    assert _metadata(item)["question_type"] == "short_answer_question"
    assert _scoring(item).findtext("q:varequal", "", NS) == str(round(sched.get_last_lr()[0], 6))
    prompt = item.findtext("q:presentation/q:material/q:mattext", "", NS)
    assert "StepLR(opt, step_size=2, gamma=0.5)" in html.unescape(prompt)  # the snippet is shown


def test_code_questions_are_left_out_and_listed_as_skipped(package: Package) -> None:
    assert CODE_QUESTION not in package.items()
    assert len(package.items()) == 4
    assessment = package.assessment.find("q:assessment", NS)
    assert assessment is not None
    comments = [c.text or "" for c in assessment if c.tag is ET.Comment]
    assert any("Skipped" in c and CODE_QUESTION in c for c in comments)


def test_markup_quotes_and_non_ascii_round_trip_through_the_xml_parser(
    manifest: Manifest, questions: dict[str, QuestionModel]
) -> None:
    base = questions["grading-test.where-lr-is-used"]
    assert isinstance(base, SingleChoice)
    odd = base.model_copy(
        update={
            "prompt": f"Pick {ODD_TEXT}",
            "options": [
                base.options[0].model_copy(update={"text": ODD_TEXT, "feedback": ODD_TEXT}),
                *base.options[1:],
            ],
        }
    )
    predict = questions["grading-test.steplr-after-three"].model_copy(
        update={"code": f"print({ODD_TEXT!r})"}
    )
    title = f"hw {ODD_TEXT}"
    data = qti_package(manifest.model_copy(update={"assignment": title}), [odd, predict])
    package = Package(data)
    assessment = package.assessment.find("q:assessment", NS)
    assert assessment is not None and assessment.get("title") == title
    assert package.manifest.findtext(".//{http://www.imsglobal.org/xsd/imsmd_v1p2}string") == title
    item = package.items()[odd.id]
    prompt = item.findtext("q:presentation/q:material/q:mattext", "", NS)
    assert prompt == render_markdown(f"Pick {ODD_TEXT}").strip()
    assert html.unescape(prompt) == f"<p>Pick {ODD_TEXT}</p>"
    label = item.find("q:presentation/q:response_lid/q:render_choice/q:response_label", NS)
    assert label is not None
    assert html.unescape(label.findtext("q:material/q:mattext", "", NS)) == ODD_TEXT
    assert _scoring(package.items()[predict.id]).findtext("q:varequal", "", NS) == ODD_TEXT
    assert "é".encode() in package.zip.read(package.resource.get("href", ""))  # UTF-8, not &#233;


def test_per_student_variants_export_the_bank_question(
    manifest: Manifest, questions: dict[str, QuestionModel]
) -> None:
    varied = manifest.model_copy(update={"variants": True, "students": ["ann", "bob"]})
    plain = qti_package(manifest, assignment_questions(manifest, questions))
    assert qti_package(varied, assignment_questions(varied, questions)) == plain


def test_two_exports_are_byte_identical(
    tmp_path: Path, manifest: Manifest, questions: dict[str, QuestionModel]
) -> None:
    rows = [GradeRow("s0", s.question_id, 1.0, 1.0, "graded", "", "x", "") for s in manifest.slots]
    first = export_all(manifest, rows, questions, tmp_path / "one")
    second = export_all(manifest, rows, questions, tmp_path / "two")
    name = qti_file_name(manifest)
    assert tmp_path / "one" / name in first and (tmp_path / "one" / "questions.gift") in first
    assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert second == [tmp_path / "two" / p.relative_to(tmp_path / "one") for p in first]
    infos = zipfile.ZipFile(tmp_path / "one" / name).infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_lrcourse_export_names_the_qti_zip_and_the_skipped_questions(
    tmp_path: Path, manifest: Manifest, capsys
) -> None:
    book = tmp_path / "gradebook.sqlite"
    with Gradebook(book) as gradebook:
        gradebook.register(manifest)
    out = tmp_path / "export"
    status = main(
        ["export", "hw-test", "--gradebook", str(book), "--banks", str(BANKS), "--out", str(out)]
    )
    assert status == 0
    printed = capsys.readouterr().out.splitlines()
    assert str(out / "hw-test-qti.zip") in printed
    assert (out / "hw-test-qti.zip").is_file()
    assert f"not in the GIFT or QTI questions (no LMS equivalent): {CODE_QUESTION}" in printed


def test_every_course_question_an_lms_can_hold_is_exported_and_the_rest_listed() -> None:
    course = load_questions()  # the course's own banks: they hold fix-loop questions too
    gradable = [q for q in course.values() if q.type in GRADABLE_TYPES]
    slots = [Slot(question_id=q.id, type=q.type, checksum="-") for q in gradable]
    manifest = Manifest(
        assignment="course", seed=0, release="shared", variants=False, students=[], slots=slots
    )
    package = Package(qti_package(manifest, gradable))
    # code and fix-loop run learner code; explain answers are graded by a person: no LMS type.
    lab = {q.id for q in gradable if q.type in ("code", "fix-loop", "explain")}
    assert {q.type for q in gradable if q.id in lab} == {"code", "fix-loop", "explain"}
    assert set(package.items()) == {q.id for q in gradable} - lab
    assessment = package.assessment.find("q:assessment", NS)
    assert assessment is not None
    (comment,) = [c.text or "" for c in assessment if c.tag is ET.Comment]
    listed = comment.split(":", 1)[1].strip().split(", ")
    assert sorted(listed) == sorted(lab)
