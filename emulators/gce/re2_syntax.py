"""Whether a regular expression is valid RE2 syntax (what URL map `regexMatch` fields take), with RE2's own
error text: RE2 has no lookaround, backreferences, atomic groups, possessive quantifiers or conditionals, and
caps repetition counts at 1000; the rest is checked by compiling the pattern with RE2-only escapes set aside."""

from __future__ import annotations

import re

MAX_REPEAT = 1000
_PERL_GROUPS = ("(?=", "(?!", "(?<=", "(?<!", "(?>", "(?(", "(?P=", "(?#")
_RE2_ONLY_ESCAPE = re.compile(r"\\[pP](\{[^}]*\}|[A-Za-z])|\\z|\\C")
_REPEAT = re.compile(r"\{(\d+)(,(\d*))?\}")


def re2_error(pattern: str) -> str | None:
    """RE2's complaint about `pattern`, None when it compiles."""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            if escaped in "123456789" or escaped in "ZGKRXgk":
                return f"invalid escape sequence: \\{escaped}"
            index += 2
            continue
        if char == "(":
            for group in _PERL_GROUPS:
                if pattern.startswith(group, index):
                    return f"invalid perl operator: {group[:3]}"
        if char in "*+?}" and pattern[index + 1 : index + 2] == "+":
            return f"bad repetition operator: {char}+"
        index += 1
    for found in _REPEAT.finditer(pattern):
        counts = [int(c) for c in (found.group(1), found.group(3)) if c]
        if any(c > MAX_REPEAT for c in counts):
            return f"bad repetition operator: {found.group(0)}"
    try:
        re.compile(_RE2_ONLY_ESCAPE.sub("a", pattern))
    except re.error as error:
        return str(error.msg)
    return None
