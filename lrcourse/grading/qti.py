"""Build a QTI 1.2 package of an assignment's questions for Canvas.

Canvas: *Settings → Import Course Content → Content Type: QTI .zip file*. The package has the
layout of Canvas's own quiz export:

* ``imsmanifest.xml`` (IMS Content Packaging 1.1.3) with one ``imsqti_xmlv1p2`` resource;
* ``<assessment ident>/<assessment ident>.xml``: ``questestinterop → assessment → section
  root_section`` with one ``item`` per question, carrying Canvas's ``itemmetadata`` fields
  (``question_type``, ``points_possible``, ``original_answer_ids``,
  ``assessment_question_identifierref``).

Question types (keys from ``lms.py``, computed by torch, the same as the GIFT file's):

* ``single`` → ``multiple_choice_question``: SCORE 100 when the marked option is picked;
* ``multiple`` → ``multiple_answers_question``: SCORE 100 when every marked option and no other
  is picked (``and`` / ``not``, as Canvas exports it; Canvas itself may still give partial credit);
* ``numeric`` → ``numerical_question``: the exact key, or anything in key ± the bank's tolerance
  (``vargte`` / ``varlte``);
* ``predict`` → ``short_answer_question``: what the snippet prints, on one line (as GIFT does);
  Canvas compares text, not numbers, so ``0.05`` and ``5e-2`` differ there, unlike ``lrcourse grade``;
* ``code`` and ``fix-loop`` are skipped and named in a comment of the assessment file.

Output is deterministic: identifiers are hashes of the assignment name and question ids (answer
identifiers are numbers, which Canvas keeps as answer ids), zip entries carry a fixed date.
"""

from __future__ import annotations

import hashlib
import html
import io
import zipfile
from collections.abc import Sequence
from xml.etree import ElementTree as ET

from lrcourse.grading.lms import numeric_answer, predict_answer, skipped_questions
from lrcourse.grading.manifest import Manifest
from lrcourse.quiz.html import render_markdown
from lrcourse.quiz.model import MultipleChoice, Numeric, Predict, QuestionModel, SingleChoice

QTI_NAMESPACE = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CONTENT_PACKAGING_NAMESPACE = "http://www.imsglobal.org/xsd/imscp_v1p1"
METADATA_NAMESPACE = "http://www.imsglobal.org/xsd/imsmd_v1p2"
#: Canvas's question type for each bank type an LMS can hold.
CANVAS_TYPES = {
    "single": "multiple_choice_question",
    "multiple": "multiple_answers_question",
    "numeric": "numerical_question",
    "predict": "short_answer_question",
}
RESPONSE = "response1"
_CHOICE = (SingleChoice, MultipleChoice)
#: Zip entries get this date (the earliest a zip can hold) so two exports are byte-identical.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def ident(*parts: str) -> str:
    """Return a stable Canvas-style identifier (``g`` + 32 hex digits) derived from ``parts``."""
    return "g" + _digest(*parts)[:32]


def answer_idents(assessment: str, question: QuestionModel) -> dict[str, str]:
    """Return a numeric answer identifier per option key (one, ``answer``, for typed answers).

    Stable and unique within the question. Canvas keeps a numeric identifier listed in
    ``original_answer_ids`` as the answer's id (and makes up a random one for any other), so
    numbers keep re-imports of the same package identical.
    """
    keys = [o.key for o in question.options] if isinstance(question, _CHOICE) else ["answer"]
    idents: dict[str, str] = {}
    used: set[int] = set()
    for key in keys:
        number = 10_000 + int(_digest(assessment, question.id, key)[:8], 16) % 90_000
        while number in used:  # a hash collision inside one question: take the next free number
            number = 10_000 if number == 99_999 else number + 1
        used.add(number)
        idents[key] = str(number)
    return idents


def _metadata(parent: ET.Element, fields: Sequence[tuple[str, str]]) -> None:
    block = ET.SubElement(parent, "qtimetadata")
    for label, entry in fields:
        field = ET.SubElement(block, "qtimetadatafield")
        ET.SubElement(field, "fieldlabel").text = label
        ET.SubElement(field, "fieldentry").text = entry


def _material(parent: ET.Element, html_text: str) -> None:
    material = ET.SubElement(parent, "material")
    ET.SubElement(material, "mattext", texttype="text/html").text = html_text


def _varequal(parent: ET.Element, value: str) -> None:
    ET.SubElement(parent, "varequal", respident=RESPONSE).text = value


def question_html(question: QuestionModel) -> str:
    """Return the question text as Canvas shows it: the prompt, then any code the learner reads."""
    public = question.public()
    text = render_markdown(public.prompt).strip()
    if public.shown_code:
        text += f"<pre><code>{html.escape(public.shown_code.rstrip())}</code></pre>"
    if public.unit:
        text += f"<p>Unit: {html.escape(public.unit)}</p>"
    return text


def _presentation(item: ET.Element, question: QuestionModel, answers: dict[str, str]) -> None:
    presentation = ET.SubElement(item, "presentation")
    _material(presentation, question_html(question))
    if isinstance(question, _CHOICE):
        cardinality = "Single" if isinstance(question, SingleChoice) else "Multiple"
        lid = ET.SubElement(presentation, "response_lid", ident=RESPONSE, rcardinality=cardinality)
        choices = ET.SubElement(lid, "render_choice")
        for option in question.options:
            label = ET.SubElement(choices, "response_label", ident=answers[option.key])
            _material(label, render_markdown(option.text, inline=True))
        return
    response = ET.SubElement(presentation, "response_str", ident=RESPONSE, rcardinality="Single")
    fib = ET.SubElement(response, "render_fib")
    if isinstance(question, Numeric):
        fib.set("fibtype", "Decimal")
    ET.SubElement(fib, "response_label", ident="answer1", rshuffle="No")


def _resprocessing(item: ET.Element, question: QuestionModel, answers: dict[str, str]) -> None:
    processing = ET.SubElement(item, "resprocessing")
    outcomes = ET.SubElement(processing, "outcomes")
    ET.SubElement(
        outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal"
    )
    if isinstance(question, _CHOICE):  # each option's feedback, shown when it is picked
        for answer in answers.values():
            shown = ET.SubElement(processing, "respcondition", attrib={"continue": "Yes"})
            _varequal(ET.SubElement(shown, "conditionvar"), answer)
            ET.SubElement(
                shown, "displayfeedback", feedbacktype="Response", linkrefid=f"{answer}_fb"
            )
    scored = ET.SubElement(processing, "respcondition", attrib={"continue": "No"})
    condition = ET.SubElement(scored, "conditionvar")
    if isinstance(question, SingleChoice):
        _varequal(condition, answers[question.answer])
    elif isinstance(question, MultipleChoice):
        every = ET.SubElement(condition, "and")
        for key, answer in answers.items():
            _varequal(every if key in question.answers else ET.SubElement(every, "not"), answer)
    elif isinstance(question, Numeric):
        number = numeric_answer(question)
        either = ET.SubElement(condition, "or")
        _varequal(either, repr(number.key))
        within = ET.SubElement(either, "and")
        ET.SubElement(within, "vargte", respident=RESPONSE).text = repr(number.low)
        ET.SubElement(within, "varlte", respident=RESPONSE).text = repr(number.high)
    elif isinstance(question, Predict):
        _varequal(condition, predict_answer(question))
    ET.SubElement(scored, "setvar", action="Set", varname="SCORE").text = "100"


def _feedback(item: ET.Element, question: QuestionModel, answers: dict[str, str]) -> None:
    if not isinstance(question, _CHOICE):
        return
    for option in question.options:
        block = ET.SubElement(item, "itemfeedback", ident=f"{answers[option.key]}_fb")
        _material(ET.SubElement(block, "flow_mat"), render_markdown(option.feedback, inline=True))


def _item(section: ET.Element, assessment: str, question: QuestionModel, points: float) -> None:
    item_ident = ident(assessment, question.id)
    answers = answer_idents(assessment, question)
    item = ET.SubElement(section, "item", ident=item_ident, title=question.id)
    _metadata(
        ET.SubElement(item, "itemmetadata"),
        [
            ("question_type", CANVAS_TYPES[question.type]),
            ("points_possible", repr(float(points))),
            ("original_answer_ids", ",".join(answers.values())),
            ("assessment_question_identifierref", ident(assessment, question.id, "bank")),
        ],
    )
    _presentation(item, question, answers)
    _resprocessing(item, question, answers)
    _feedback(item, question, answers)


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def assessment_xml(manifest: Manifest, questions: Sequence[QuestionModel]) -> bytes:
    """Return the QTI 1.2 assessment of ``questions`` (code questions named in a comment)."""
    assessment_ident = ident("lrcourse", manifest.assignment)
    points = {slot.question_id: slot.points for slot in manifest.slots}
    root = ET.Element(
        "questestinterop",
        {
            "xmlns": QTI_NAMESPACE,
            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xsi:schemaLocation": f"{QTI_NAMESPACE} {QTI_NAMESPACE}p1.xsd",
        },
    )
    assessment = ET.SubElement(
        root, "assessment", ident=assessment_ident, title=manifest.assignment
    )
    skipped = skipped_questions(questions)
    if skipped:  # ids are lowercase words joined by "-" and ".": never "--", safe in a comment
        assessment.append(
            ET.Comment(f" Skipped (no QTI equivalent for code questions): {', '.join(skipped)} ")
        )
    _metadata(assessment, [("cc_maxattempts", "1")])
    section = ET.SubElement(assessment, "section", ident="root_section")
    for question in questions:
        if question.type in CANVAS_TYPES:
            _item(section, assessment_ident, question, points.get(question.id, 1.0))
    return _xml(root)


def manifest_xml(manifest: Manifest) -> bytes:
    """Return ``imsmanifest.xml``: one QTI 1.2 resource, the assessment file."""
    assessment_ident = ident("lrcourse", manifest.assignment)
    href = f"{assessment_ident}/{assessment_ident}.xml"
    root = ET.Element(
        "manifest",
        {
            "identifier": ident("lrcourse", manifest.assignment, "manifest"),
            "xmlns": CONTENT_PACKAGING_NAMESPACE,
            "xmlns:imsmd": METADATA_NAMESPACE,
        },
    )
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    general = ET.SubElement(ET.SubElement(metadata, "imsmd:lom"), "imsmd:general")
    title = ET.SubElement(general, "imsmd:title")
    ET.SubElement(title, "imsmd:string").text = manifest.assignment
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    resource = ET.SubElement(
        resources, "resource", identifier=assessment_ident, type="imsqti_xmlv1p2", href=href
    )
    ET.SubElement(resource, "file", href=href)
    return _xml(root)


def qti_file_name(manifest: Manifest) -> str:
    """Return the package's file name: ``<assignment>-qti.zip``."""
    return f"{manifest.assignment}-qti.zip"


def qti_package(manifest: Manifest, questions: Sequence[QuestionModel]) -> bytes:
    """Return the Canvas QTI 1.2 zip of ``questions``: the same bytes for the same input."""
    assessment_ident = ident("lrcourse", manifest.assignment)
    entries = {
        "imsmanifest.xml": manifest_xml(manifest),
        f"{assessment_ident}/{assessment_ident}.xml": assessment_xml(manifest, questions),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
