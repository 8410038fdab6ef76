"""One-off helper: wrap the plain text of Jinja2 templates in _() in place (review the diff)."""
import html
import re
import sys

TOKEN = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<script.*?</script>|<style.*?</style>|<!--.*?-->|<[^>]*>)", re.S)
ATTR = re.compile(r'''\b(placeholder|aria-label|title|alt|data-label|data-confirm)="([^"{}]*[A-Za-z][^"{}]*)"''')
MACRO = re.compile(r'''(m\.(?:field|select|upload)\(\s*"[^"]*",\s*)"([^"]+)"''')
KW = re.compile(r'''\b(help|blank|label)="([^"]*[A-Za-z][^"]*)"''')
SKIP = {"MakePlus", "UTC", "QR", "PDF", "PNG", "SVG", "XLSX", "CSV", "ID", "→", "←", "·", "—"}


def lit(s):
    s = s.replace("%", "%%")
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"' if '"' in s else '"' + s + '"'


def wrap_text(text):
    core = text.strip()
    if not re.search(r"[A-Za-zÀ-ÿ]{2,}", core) or core in SKIP:
        return text
    lead = text[:len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    msg = " ".join(html.unescape(core).split())
    return f"{lead}{{{{ _({lit(msg)}) }}}}{trail}"


def mark_tag(tag):
    if tag.startswith(("<script", "<style", "<!--")):
        return tag
    return ATTR.sub(lambda m: f'{m.group(1)}="{{{{ _({lit(html.unescape(m.group(2)))}) }}}}"'.replace('_("', "_('", 1).replace('") }}"', "') }}\"") if '"' not in m.group(2) else m.group(0), tag)


def mark_jinja(tok):
    if not tok.startswith(("{{", "{%")):
        return tok
    tok = MACRO.sub(lambda m: f'{m.group(1)}_("{m.group(2)}")', tok)
    tok = KW.sub(lambda m: f'{m.group(1)}=_("{m.group(2)}")', tok)
    return tok


def mark(src):
    out = []
    for i, part in enumerate(TOKEN.split(src)):
        if i % 2 == 0:
            out.append(wrap_text(part))
        elif part.startswith("<"):
            out.append(mark_tag(part))
        else:
            out.append(mark_jinja(part))
    return "".join(out)


for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as fp:
        src = fp.read()
    new = mark(src)
    if new != src:
        with open(path, "w", encoding="utf-8") as fp:
            fp.write(new)
