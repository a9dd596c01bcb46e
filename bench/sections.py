"""Sections of bench/RESULTS.md that other scripts than bench.py write.

bench.py rewrites RESULTS.md on every full run; the sustained chat run and
the soak (bench/chat_sustained.py, bench/soak.py) each keep their own
section between markers, which bench.py carries over when it rewrites.
"""

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
_SECTION = re.compile(r"<!-- section:(?P<name>[a-z-]+) -->\n.*?<!-- /section:(?P=name) -->\n", re.S)


def kept(text):
    """The script-written sections in `text`, in order, as one string."""
    return "".join(m.group(0) for m in _SECTION.finditer(text))


def update(name, markdown, path=RESULTS):
    """Puts `markdown` as the section `name` in `path` (replacing it, or appended)."""
    block = f"<!-- section:{name} -->\n{markdown.rstrip()}\n<!-- /section:{name} -->\n"
    text = path.read_text() if path.exists() else ""
    pattern = re.compile(rf"<!-- section:{name} -->\n.*?<!-- /section:{name} -->\n", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block
    path.write_text(text)
