"""Grade a copy of the hostile corpus as an ordinary user; print the stored rows as JSON.

Run by ``test_corpus_unprivileged.py`` under ``setpriv`` as ``nobody``. Arguments: the
submissions folder and the work folder (the instructor's, with marked files), where the
gradebook is written and which is the working directory while grading.
"""

import json
import os
import sys
from pathlib import Path

from lrcourse.grading.grade import GradeOptions, grade_folder
from lrcourse.grading.gradebook import Gradebook
from lrcourse.grading.manifest import Manifest, load_questions
from tests.grading.helpers import BANKS, GOLDEN, HIDDEN, TEST_LIMITS

folder, work = Path(sys.argv[1]), Path(sys.argv[2])
os.chdir(work)
manifest = Manifest.load(GOLDEN / "manifest.json")
options = GradeOptions(limits=TEST_LIMITS, jobs=2, progress=False, hide=HIDDEN)
with Gradebook(work / "gradebook.sqlite") as book:
    report = grade_folder(folder, manifest, book, load_questions(BANKS), options)
    rows = [
        [r.student, r.question_id, r.score, r.points, r.status, r.reason, r.answer, r.feedback]
        for r in book.current_rows(manifest.assignment)
    ]
print(json.dumps({"uid": os.getuid(), "isolation": report.isolation, "rows": rows}))
