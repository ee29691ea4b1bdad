"""The archive's vocabularies and selectors, grouped by the field that reads them: element and class
names, label synonyms, month and season words, patterns, and the thresholds that tell one kind of
block or page from another."""

from __future__ import annotations

import re


def _opening(characters: str, pattern: str, starts: str = "") -> str:
    """``pattern`` behind a lookahead for the characters its matches open with (a class, under the
    pattern's flags), and optionally for the first letters of its words (``starts``, alternatives):
    a search then fails at each position that opens with none of them on one or two tests, not on
    every alternative.  tests/test_vocab.py checks each such pattern against its bare form."""
    return rf"(?=[{characters}])" + (rf"(?={starts})" if starts else "") + rf"(?:{pattern})"


# --- the document (document.py) -------------------------------------------------------------------
# A body is binary, not HTML, when its first SNIFF_BYTES open with one of these signatures (PDF, PNG,
# GIF, JPEG, ZIP, MP3, gzip, Ogg, RIFF, ICO) or hold a NUL byte outside UTF-16.
SNIFF_BYTES = 1024
BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"ID3", b"\x1f\x8b",
                b"OggS", b"RIFF", b"\x00\x00\x01\x00")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# A document holds no markup when none of its first MARKUP_SNIFF_CHARS characters opens a tag.
MARKUP_SNIFF_CHARS = 4096
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# Elements removed from the tree before it is read (comments go too).
STRIPPED_ELEMENTS = ("script", "style", "noscript")
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Blocks whose text is read whole; containers are read whole when they hold no block of their own
# (a loose text cell, a list item), else walked into.
LEAF_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "address", "caption"})
BLOCK_CONTAINERS = frozenset({"li", "dd", "dt", "blockquote", "td", "th", "div", "center", "font"})
STRUCTURE = LEAF_BLOCKS | {"table", "ul", "ol", "dl"}
# Blocks that end a paragraph's own text when a page nests them inside it (an unclosed
# <span class="info"> swallowing the rest of the page).
NESTED_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "div", "table", "ul", "ol", "dl",
                           "blockquote", "pre", "hr", "center"})
# A parse has lost the page's body when the document holds at least BODY_LOST_MIN_TEXT characters
# of text outside its markup (whitespace aside) and the parsed tree keeps less than BODY_LOST_SHARE
# of them: the parser stopped early (nesting past its depth limit, a text node past its size limit,
# text after the document's end tag).
# Every page of the sample corpus keeps more than 0.85 of its text.
BODY_LOST_MIN_TEXT = 200
BODY_LOST_SHARE = 0.25
# The fallback for such a page reads it again flattened: past this many open elements (the parser
# stops at 256), an element opened inside another of its own name is unwrapped, its content kept.
FLATTEN_DEPTH = 128
# A page still nested deeper than this once read again (the fallback's parser goes to 2048 levels:
# a nest of distinct elements, which flattening leaves) is too deep to read: the walks over the
# tree recurse once a level.
WALK_MAX_DEPTH = 512
# The document read as markup, without the parser (to measure its text, and to flatten it).
# Text outside the markup: comments, scripts, styles and tags aside ("a < b" is text, not a tag).
MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|noscript)\b.*?(?:</\1\s*>|\Z)|</?[A-Za-z][^>]*>?|<[!?][^>]*>?",
    re.S | re.I,
)
ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);?")
HTML_WHITESPACE = " \t\n\r\x0c\xa0"
# A start or end tag, with the spans whose insides are not markup (comments, scripts, styles).
TAG = re.compile(
    r"<!--.*?(?:-->|\Z)|<(?P<raw>script|style)\b.*?(?:</(?P=raw)\s*>|\Z)"
    r"|<(?P<end>/?)(?P<name>[A-Za-z][A-Za-z0-9:_-]*)(?:\s[^>]*?)?(?P<empty>/?)>",
    re.S | re.I,
)
VOID_ELEMENTS = frozenset({"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img",
                           "input", "isindex", "keygen", "link", "meta", "param", "source", "spacer", "track",
                           "wbr"})
DOCUMENT_ENDS = frozenset({"body", "html"})
# Elements a second one of the same name closes rather than nests in.
SELF_CLOSING = frozenset({"p", "li", "dt", "dd", "option", "tr", "td", "th"})

# --- plain text (text.py) -------------------------------------------------------------------------
# What a title key leaves out: everything but letters and digits.
NOT_A_WORD_CHARACTER = re.compile(r"[\W_]+")
# What a name key leaves out: everything but letters, digits and spaces.
NOT_NAME_CHARACTER = re.compile(r"[^\w ]|_")

# --- classes several fields read ------------------------------------------------------------------
COLOPHON_CLASSES = frozenset({"information", "info", "from", "transcriber"})
# Navigation, never text. ("updat", "inline" and "foot" are not here: they hold the last-updated
# line, which ends the text by its wording, and are sometimes borrowed for ordinary text.)
NAV_CLASSES = frozenset(
    {"toplink", "footer", "link", "next", "title", "linkback", "skip", "index", "indexb", "toc", "navbar"}
)
NOTE_CLASSES = frozenset({"note", "endnote", "npte", "footnote", "notes", "fn", "enote"})
# The first paragraph of the text, and the old layouts' title paragraph.
FIRST_PARAGRAPH_CLASS = "fst"
TITLE_PARAGRAPH_CLASS = "title"

# --- numbers as words (series, titles) ------------------------------------------------------------
ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "last": 0, "final": 0, "concluding": 0,
}
CARDINALS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15,
}

# --- header: the zone (header.header_zone) --------------------------------------------------------
# Paragraphs that print a title, a byline or a subtitle, as headings do.
HEADER_PARAGRAPH_CLASSES = frozenset({"title", "sub", "title2"})
# The header ends at the first paragraph of text: a `p.fst`, or one of HEADER_PROSE_WORDS words or
# more, once a heading was seen (HEADER_PROSE_WORDS_UNTITLED before any heading).
HEADER_PROSE_WORDS = 12
HEADER_PROSE_WORDS_UNTITLED = 25

# --- header: title (header.title, header.heading_lines) -------------------------------------------
# A footnote marker printed in a heading as a superscript or a link to the note: "1", "1)",
# "[2]", "(3)", "*", "†".  A letter counts only in brackets ("[A]") or as a link to a note, so
# that ordinals such as "1<sup>er</sup>" or "2<sup>a</sup>" stay.
HEADING_NOTE_MARKER = re.compile(r"^(?:[\[(]\s*(?:\d{1,3}|[a-z]|\*{1,3})\s*[\])]|\d{1,3}\)?|\*{1,3}|[†‡§]+)$", re.I)
HEADING_NOTE_LINK = re.compile(r"^[\[(]?\s*(?:\d{1,3}|[a-z]|\*{1,3}|[†‡§]+)\s*[\])]?$", re.I)
HEADING_NOTE_CLASSES = frozenset({"anote", "enote", "ednote", "note", "fnote", "footnote"})
# The same markers left in a heading's text: "[1]", "[12*]", "[a]", "[*]".
FOOTNOTE_MARK = re.compile(r"\s*\[\s*(?:\d{1,3}\s*\*?|[a-z]|\*{1,3})\s*\]", re.I)
# A heading that is only a part or chapter number ("Part IV", "Chapter 8", "CHAPTER 3", "Section
# Five", "II."): it names no text of its own.  The title is then the heading that follows it.
BARE_NUMBER_HEADING = re.compile(
    r"^(?:(?:chapter|part|book|section|lecture|letter|appendix|article|capítulo|capitulo|kapitel|"
    r"chapitre|parte|teil)\s+)?(?:[ivxlc]+|\d{1,3}|" + "|".join(CARDINALS)
    + r"|sixteen|seventeen|eighteen|nineteen|twenty)\s*[.:]?$",
    re.I,
)
# A heading that opens with a bare number ("1. The poverty of economics", "1 -- THE FIGHT"): under a
# chapter's own heading it opens a section of the chapter.
NUMBERED_SECTION = re.compile(r"^(?:[IVXLC]+|\d{1,3})\s*(?:[.:)]|-{1,2}|[–—])?\s")
# A heading of this many lines or more, each a chapter heading, lists the chapters; it is no
# chapter's own heading.
CHAPTER_LIST_HEADING_LINES = 3
# A title heading that breaks off mid-phrase ("Controversial Questions in the") goes on in the next
# heading of its size; so does a title whose next heading opens in lower case ("y el …").
TITLE_BREAKS_OFF = re.compile(
    r"(?:^|\s)(?:a|an|the|of|in|on|for|to|and|or|at|by|with|from|de|del|la|el|y|e|et|du|des|und|der|"
    r"die|das)$|[,:;–—-]$",
    re.I,
)
# A chapter's own heading printed under the book's title.
CHAPTER_HEADING = re.compile(
    r"^(?:chapter|part|book|section|lecture|letter|appendix|capítulo|capitulo|kapitel|chapitre|"
    r"parte|teil)\s+\w+|^(?:[IVXLC]+|\d+)[.:]?\s",
    re.I,
)
# A footnote marker in a heading is short: at most this many characters.
HEADING_NOTE_MAX_CHARS = 6

# --- header: byline (header.byline) ---------------------------------------------------------------
# Words that make a heading above the title the name of a body that signs the text ("Group of
# International Communists", "Executive Committee of …"), read only where the catalogue names no
# author for the folder.
ORGANISATION_WORDS = frozenset({
    "group", "party", "league", "committee", "union", "federation", "council", "bureau", "communists",
    "socialists", "anarchists", "association", "secretariat", "presidium", "collective", "organisation",
    "organization", "tendency", "faction", "fraction", "caucus", "brotherhood",
})
# Lowercase words an organisation's name may hold between its capitalised ones.
ORGANISATION_LINKS = frozenset({"of", "the", "for", "and", "&", "in", "de", "des", "du", "la", "y"})
ORGANISATION_MAX_WORDS = 8
# "by J. C. MARIATEGUI", or "by" on a line of its own above the name, in the header.
BY_LINE = re.compile(r"^by(?:\s+(?P<name>.+))?$", re.I)
# A byline is a few capitalised words or initials ("V. I. Lenin", "C.L.R. James"), the small words
# of names between them, and nothing that names the archive, a figure or a colon.
BYLINE_MAX_WORDS = 6
BYLINE_PARTICLES = frozenset({"de", "da", "del", "della", "di", "do", "dos", "du", "la", "le", "van",
                              "von", "der", "den", "ten", "y", "e", "and", "&", "al", "bin", "ibn"})
NOT_A_BYLINE = re.compile(r"\d|:|archive|marxist|internet|index|works", re.I)
NOT_AN_ORGANISATION = re.compile(r"\d|:")
# What follows the name in an old layout's title paragraph: "Antonio Gramsci 1921", "Che Guevara
# Internet Archive".
BYLINE_YEAR = re.compile(r"\s*\b1[5-9]\d\d\b.*$")
BYLINE_ARCHIVE = re.compile(r"\s*\b(?:internet\s+)?archive\b.*$", re.I)
# "Che Guevara Internet Archive" names its writer (a name of two words or more); "Sample Archive" does not.
BYLINE_PERSON_MIN_WORDS = 2

# --- header: date line (header.date_line) --------------------------------------------------------
# A note under the title that says when the text was given: "Delivered At A Meeting Of … December
# 14(27), 1917", "(Delivered to the People's University … on June 15, 1923.)".  Such a note is the
# date line, never the title.
DATE_NOTE = re.compile(
    r"^\W*(?:(?:speech|lecture|report|address)\s+)?(?:delivered|written|spoken|dictated|given|"
    r"first published|published)\b",
    re.I,
)
# A parenthesised note may run over this many short lines of the header.
DATE_NOTE_MAX_LINES = 3
# A bracketed part of a heading, read as its date when it is one: "… to the present day (1920)".
BRACKETED = re.compile(r"[(\[]([^()\[\]]{1,60})[)\]]")
# A heading longer than this is no date line.
DATE_LINE_MAX_CHARS = 80

# --- body (body.py) -------------------------------------------------------------------------------
# "Last updated on", "Updated on", and the misprint "Last up dated on": a line of fewer than
# LAST_UPDATED_MAX_WORDS words that opens with it ends the text; the date is read in the last
# LAST_UPDATED_BLOCKS blocks, in a line that opens with it or in one of LAST_UPDATED_CLASSES.
LAST_UPDATED = re.compile(r"(?:last\s+)?up\s?dated(?:\s+on)?\s*:?\s*", re.I)
# How a last-updated line opens (lower case), and the word any of its matches holds.
LAST_UPDATED_OPENINGS = ("la", "up")
LAST_UPDATED_WORD = "dated"
LAST_UPDATED_MAX_WORDS = 12
LAST_UPDATED_BLOCKS = 12
LAST_UPDATED_CLASSES = frozenset({"updat", "udat", "updast", "inline", "foot"})
# The page's footer: after the text it ends the text; before it, it is navigation.
PAGE_FOOTER_CLASSES = frozenset({"footer", "linkback"})
# A line of at most LINK_LINE_MAX_WORDS words, LINK_LINE_SHARE of them the words of its links, is a
# navigation line ("Next chapter", "Archive | Index").
LINK_LINE_MAX_WORDS = 40
LINK_LINE_SHARE = 0.8
# The text begins at a paragraph of PROSE_MIN_WORDS words or more after a heading (a `p.fst` of
# FIRST_PARAGRAPH_MIN_WORDS): a colophon above it is the header's, one after it a trailing one.
PROSE_MIN_WORDS = 25
FIRST_PARAGRAPH_MIN_WORDS = 8
# Headings that open the notes at the end of a text.
NOTES_HEADINGS = re.compile(
    r"^\s*(?:foot|end|editorial |translator.s |transcriber.s )?notes?\s*:?\s*$|^\s*notas\s*$|"
    r"^\s*anmerkungen\s*$|^\s*references\s*$",
    re.I,
)
# Fragments that links to which are navigation, not notes.
NOT_NOTE_TARGETS = frozenset({"top", "toc", "contents"})
# The number or mark a note opens with: "1.", "[12]", "(a)", "*".
NOTE_NUMBER = re.compile(r"^\s*[\[(]?\s*(\d{1,3}[a-z*]?|[a-z]|\*+)\s*[\])]?\s*\.?\s*", re.I)
EDITORIAL_NOTE = re.compile(
    r"^\s*[\[(]?\s*(?:editorial note|editor.s note|ed(?:itor)?\.? note|note by (?:the )?(?:etol|mia|editors?)|"
    r"translator.s note|transcriber.s note|mia note|etol note|note)\s*[:.]",
    re.I,
)
# An editors' note set in one of these goes on in the box's next paragraphs.
EDITORIAL_BOXES = ("td", "div", "blockquote")
SEPARATOR = re.compile(r"^[\s*•·.\-–—_~#=+x×]*$", re.I)
# The characters a separator line is made of but white space, and the first two letters of an
# editors' note (after its bracket): cheap tests of a line's opening before the patterns.
SEPARATOR_MARKS = "*•·.-–—_~#=+xX×"
EDITORIAL_NOTE_OPENINGS = frozenset({"ed", "et", "no", "tr", "mi"})

# --- colophon: labels (colophon.py) ---------------------------------------------------------------
# A label (lower-cased, without its colon) maps to the fields it fills.  Combined labels such
# as "Transcription/Editing/HTML Markup" are split on / \ & "and" before lookup.
FIELD_LABELS: dict[str, str] = {
    "source": "source",
    "sources": "source",
    "fuente": "source",
    "sursa": "source",
    "fonte": "source",
    "quelle": "source",
    "written": "written",
    "date": "written",
    "escrito": "written",
    "scritto": "written",
    "scris": "written",
    "geschrieben": "written",
    "delivered": "delivered",
    "spoken": "delivered",
    "dictated": "delivered",
    "discussed": "delivered",
    "first published": "first_published",
    "published": "first_published",
    "originally published": "first_published",
    "first publication": "first_published",
    "publicado": "first_published",
    "primera edición": "first_published",
    "primera edicion": "first_published",
    "primera vez publicado": "first_published",
    "publicat": "first_published",
    "written/first published": "written_first_published",
    "public domain": "licence",
    "pubic domain": "licence",
    "copyleft": "licence",
    "copyright": "licence",
    "derechos": "licence",
    "pubblico dominio": "licence",
    "licence": "licence",
    "license": "licence",
}

# Credit roles a label fragment names.
ROLE_LABELS: dict[str, str] = {
    "transcription": "transcription",
    "transcribed": "transcription",
    "transcriber": "transcription",
    "transcribed by": "transcription",
    "transcrition": "transcription",
    "transcripción": "transcription",
    "transcripcion": "transcription",
    "transcriere": "transcription",
    "digitalización": "transcription",
    "digitalizacion": "transcription",
    "html markup": "markup",
    "html mark-up": "markup",
    "html-markup": "markup",
    "xhtml markup": "markup",
    "markup": "markup",
    "mark-up": "markup",
    "marked up": "markup",
    "marked-up": "markup",
    "html": "markup",
    "edición electrónica": "markup",
    "edicion electronica": "markup",
    "proofread": "proofreading",
    "proofreader": "proofreading",
    "proofed": "proofreading",
    "proofreading": "proofreading",
    "proofreaders": "proofreading",
    "editing": "editing",
    "editor": "editing",
    "edited": "editing",
    "translated": "translation",
    "translation": "translation",
    "translator": "translation",
    "translators": "translation",
    "traducción": "translation",
    "traduccion": "translation",
    "mark up": "markup",
    "proof reading": "proofreading",
    "reformatted": "markup",
    "copyedited": "editing",
    "corrections": "editing",
}

# Prose credits ("Transcribed & marked up by X") are read with the patterns of the credits section.

# Labels that carry an endnote number, not metadata ("1.", "12 ", "[3]").
NOTE_LABEL = re.compile(r"^\s*[\[(]?\d{1,3}[*a-z]?[\])]?\.?\s*$")

# A colophon opens at a rule of this class (`hr.infotop`) or at a paragraph of COLOPHON_CLASSES;
# its labels are set in `span.info` (or in bold).
COLOPHON_OPENING_RULE = "infotop"
LABEL_SPAN_CLASS = "info"
EMPHASIS = frozenset({"em", "i", "strong", "b", "cite", "u"})
# "Source: …" in plain text: a label of letters and a few marks before a colon.
PLAIN_LABEL = re.compile(r"^\s*([A-Za-zÀ-ÿ][A-Za-zÀ-ÿ /\\&.,'-]{1,50}?)\s*:\s*(.*)$", re.S)
# A "label" naming someone ("Translated and Edited by Mike Baker: …") is a sentence.
LABEL_IS_SENTENCE = re.compile(r"\bby\s+\w", re.I)
# Words of a label long enough to be looked up as misspellings ("Transciption").
LABEL_WORD = re.compile(r"[^\W\d_]{6,}")
# "Transcription Source": what the transcription was made from.
SOURCE_OF_LABEL = re.compile(r"\w+ sources?")
# The parts of a combined label: "Transcription/Markup & corrections".
LABEL_PARTS = re.compile(r"\s*(?:/|\\|&|,|\band\b|\by\b|\be\b)\s*")

# --- licence (licence.py) -------------------------------------------------------------------------
LICENCE_LINKS: tuple[tuple[str, str], ...] = (
    ("legal/cc/by-sa", "CC-BY-SA-2.0"),
    ("licenses/by-sa/4.0", "CC-BY-SA-4.0"),
    ("licenses/by-sa/3.0", "CC-BY-SA-3.0"),
    ("licenses/by-sa/2.5", "CC-BY-SA-2.5"),
    ("licenses/by-sa", "CC-BY-SA-2.0"),
    ("licenses/by-nd", "CC-BY-ND-2.0"),
    ("licenses/by-nc-sa", "CC-BY-NC-SA-2.0"),
    ("licenses/by-nc", "CC-BY-NC-2.0"),
    ("licenses/by/", "CC-BY-2.0"),
    ("legal/fdl", "GFDL-1.2-or-later"),
    ("gnu.org/copyleft/fdl", "GFDL-1.2-or-later"),
    ("publicdomain/zero", "CC0-1.0"),
)
LICENCE_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"attribution[- ]sharealike|attribute (?:&|and) share-?alike|by-sa", re.I), "CC-BY-SA-2.0"),
    (re.compile(r"attribution[- ]noderivs|no derivatives|by-nd", re.I), "CC-BY-ND-2.0"),
    (re.compile(r"gnu free documentation licen[cs]e|\bgfdl\b", re.I), "GFDL-1.2-or-later"),
)
PUBLIC_DOMAIN = re.compile(_opening(r"pdcf", r"public domain|pubic domain|dominio p[uú]blico|domaine public|"
                           r"pubblico dominio|completely free|freely copy|common deed"), re.I)
COPYLEFT = re.compile(_opening(r"cf", r"copy-?left|creative commons|free documentation licen[cs]e"), re.I)
COPYRIGHT = re.compile(
    _opening(r"©(crbkpaw", r"©|\(c\)\s*\d{4}|copyright\s+(?:\d{4}|by|©|the|[A-Z])|reprinted (?:here )?with permission|"
    r"(?:by )?(?:kind )?permission (?:of|from)|all rights reserved|with (?:the )?(?:kind )?permission"),
    re.I,
)
# Words that decide the status over the other statements, and labels that state it.
SAYS_PUBLIC_DOMAIN = re.compile(_opening(r"pd", r"public domain|pubic domain|dominio p[uú]blico|domaine public"), re.I)
PUBLIC_DOMAIN_LABELS = frozenset({"public domain", "pubic domain", "pubblico dominio"})
COPYLEFT_LABELS = frozenset({"copyleft"})
COPYRIGHT_LABELS = frozenset({"copyright", "derechos"})
# An unlabelled colophon line that speaks of the licence.
LICENCE_HINT = re.compile(_opening(r"pc", r"public domain|copyleft|creative commons"), re.I)

# --- credits (credits.py) -------------------------------------------------------------------------
# Words of colophon labels, the vocabulary a misspelled label word is matched against
# ("Transciption", "First Publshed"): every word of FIELD_LABELS and ROLE_LABELS.
LABEL_WORDS = frozenset(word for label in (*FIELD_LABELS, *ROLE_LABELS) for word in re.split(r"[\s/-]+", label)
                        if len(word) >= 6)
# A word of a label or of a prose credit that names a role ("Transcriptions", "Proofing",
# "Copy-edited", "HTML", "corrections"), tried in this order, the first match winning.
ROLE_WORD_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^x?html|^mark(?:ed)?-?(?:up)?$|markup$|^(?:re-?)?format|^convert"), "markup"),
    (re.compile(r"^transcri|^scan(?:ned|ning)?$|^digit(?:al)?i[sz]|^ocr|^typ(?:ed|ing)$"), "transcription"),
    (re.compile(r"^proof|^checked$"), "proofreading"),
    (re.compile(r"^(?:copy-?)?edit(?:ed|ing|ors?)?$|^corrections?$"), "editing"),
    (re.compile(r"^translat"), "translation"),
)
# Role words of prose credits, in the spelling the patterns below expect; a misspelled one
# ("Transcried", "Tramscribed", "Trasncribed") is read as the word it misspells.
PROSE_ROLE_SPELLINGS = frozenset({
    "transcribed", "transcription", "translated", "translation", "formatted", "proofread", "proofreading",
    "converted", "digitised", "digitized", "digitalised", "digitalized", "copyedited", "copyediting",
})
# One role in a prose credit: "Transcribed", "marked up" (also stammered: "marked up up"), "HTML
# mark-up", "minor corrections of translation".  Words of work that is no role ("prepared",
# "annotated") may stand in the list of roles but credit nobody.
_PROSE_ROLE = (
    r"(?:(?:minor|additional|further|original|some|final|second)\s+)?"
    r"(?:transcribed|transcription|marked[ -]up(?:\s+up)?|marked|x?html[ -]?mark-?up|mark-?up|"
    r"re-?formatted|formatted|proof-?read(?:ing)?|proofed|proofing|copy-?edit(?:ed|ing)|edited|editing|"
    r"translated|translation|typed|scanned|converted|checked|digit(?:al)?i[sz]ed|ocr(?:'?d|ed)?|"
    r"corrections?|prepared|annotated|compiled|revised|produced)"
    r"(?:\s+of\s+(?:the\s+)?(?:translation|text|transcription))?"
)
_PROSE_ROLES = rf"(?P<roles>\b{_PROSE_ROLE}(?:\s*(?:,|&|\band\b|/)\s*{_PROSE_ROLE})*)\b"
# What may stand between the roles and "by": where the work was done for ("for the Encyclopedia of
# Trotskyism On-Line (ETOL)"), what from or into ("from the French", "into HTML"), when ("October
# 2012", "1962,"), a note in brackets ("(from Spanish)").  Never a clause that names a publication
# ("from the 1927 edition published by …": the publisher is not a credit).
_PROSE_BETWEEN = (
    r"(?P<between>(?:\s*\([^()]{0,60}\))?"
    r"(?:\s+(?:for|from|into|in|at|on|during|under)\b"
    r"(?:(?!\b(?:published|printed|issued|reprinted|written|delivered|given|held|sponsored|organi[sz]ed)\b)"
    r"[^;]){0,120}?)?"
    r"(?:\s+(?:[a-z]+\s+)?\d{4}\b)?)"
)
# "Transcribed & marked up by X", "Translated from the French by X", "The translation is by X".
PROSE_CREDIT_BY = re.compile(
    _opening(r"mafostxhrpced", _PROSE_ROLES + _PROSE_BETWEEN + r"[\s,]+(?:(?:is|was|were)\s+)?by\s+(?P<names>\S.*)"),
    re.I,
)
# A sentence that opens with its roles and names someone without "by": "Transcribed Ted Crawford.",
# "Transcribed & marked up Jane Doe for the Marxists’ Internet Archive".
PROSE_CREDIT_BARE = re.compile(
    r"^\W*" + _PROSE_ROLES
    + r"\s+(?!(?:the|this|these|that|a|an|in|into|from|for|at|on|by|as|with|and|to|of)\b)(?-i:(?P<names>[A-Z].*))",
    re.I,
)
# A credit inside a credit: "Clemans Dutt, edited by Robert Daglish".
SUBCREDIT = re.compile(
    _opening(r",;.\samfecpth",
             r"[,;.]?\s*\b(?:additional\s+|minor\s+|further\s+)?(edited|copy-?edited|copy-?editing|proofread|proof-read|"
             r"proofed|transcribed|marked[ -]up|translated|html markup|formatted|corrections)\s+by\b"),
    re.I,
)
# Where the names of a credit end: "… for the Marxists’ Internet Archive", "… (June 2010)", "; …",
# ": published by …", "[note: …]".
NAME_STOP = re.compile(
    _opening(r"\s,wtcb(\[;:.", r"\s+(?:for|at|from|on behalf of|courtesy)\s+(?:the\s+)?(?=[A-Z]|www|marxists|etol|mia)|"
    r",?\s*\b(?:with (?:many )?thanks|thanks to|courtesy of|by kind permission)\b|"
    r"\s+(?:in|on|during)\s+(?:\w+\s+)?\d{4}|\s*[(\[]|;|:\s|(?<!\b[A-Z])\.\s|(?<!\b[A-Z])\.$|\s+-\s+|\s+–\s+"),
)
NOT_A_NAME = re.compile(
    r"internet archive|marxists|\bmia\b|\betol\b|website|web site|www\.|unknown|"
    r"\.(?:org|com|net|info|nl|de|uk|fr|es|it)\b|^(?:the|a|an)\s|"
    r"^\W*$|^by$|^\?+$|^none$|^n\.?/?a\.?$|^\[?placeholder\]?$",
    re.I,
)
# Names in a credit are split on these.
NAME_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b|\by\b|(?<=\w)/(?=\w))\s*")
# A date printed with a credit ("H. Antonn, April 2003", "Ted Crawford September 2012"): no name.
CREDIT_DATE = re.compile(
    _opening(r"(\djfmasondw", r"\(?\b(?:\d{1,2}(?:st|nd|rd|th)?\s+)?"
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|spring|summer|autumn|fall|winter)\.?"
    r"(?:\s+\d{1,2}(?:st|nd|rd|th)?)?,?\s+(?:1[89]\d\d|20\d\d)\b\)?"),
    re.I,
)
# Words before a role word that leave a label naming the role: "English Translation", "Second
# proofreading", "Minor Editing" (but "Alternative translation" names another translation, and
# "Original Greek Transcription" the work on the original).
LABEL_ROLE_QUALIFIERS = frozenset({
    "english", "french", "german", "russian", "spanish", "italian", "portuguese", "greek", "chinese",
    "first", "second", "third", "2nd", "3rd", "final", "minor", "additional", "further", "initial",
    "html", "xhtml", "online",
})
# A lower-case word that ends a name and goes on with the sentence: "William E. Ratliff in the
# Hispanic American Historical Review", "Igor Shevchenko under the pseudonym …", "Juan para el MIA".
NAME_ENDS = frozenset({
    "in", "under", "with", "for", "at", "on", "from", "to", "as", "who", "during", "via", "through",
    "after", "before", "using", "when", "while", "into", "is", "was", "para", "en", "por", "pour",
    "per", "con", "für", "avec", "dans",
})
# Lower-case words a name may hold ("Alex de Jong", "Socialist Party of Great Britain").
NAME_PARTICLES = frozenset({
    "de", "da", "di", "do", "dos", "das", "del", "della", "der", "den", "van", "von", "la", "le", "du",
    "of", "the", "et", "zu", "ten", "ter", "bin", "ibn", "al", "el", "e", "i", "y", "and", "&",
})
# A name ending in one of these words is a body, not a person: it is kept whole ("Marxist-Leninist
# Translations and Reprints", "Red & Black Notes", "the Prometheus Research Library").
CREDIT_BODY_WORDS = frozenset({
    "library", "libraries", "press", "publications", "publishers", "publishing", "reprints",
    "translations", "notes", "newspapers", "society", "committee", "party", "group", "league", "union",
    "institute", "foundation", "trust", "project", "collective", "archive", "archives", "bureau",
    "association", "federation", "centre", "center", "books", "review", "network", "movement", "club",
    "council", "editions", "ediciones", "editorial", "verlag", "magazine", "journal", "newspaper",
})

# Patterns of credits.py.
# A year credited with a name ("Jane Doe, 2003").
CREDIT_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# Sentences of a prose line, and clauses after a semicolon ("Digitalized by X; transcribed into
# HTML by Y"); a full stop after an initial ("Martin F. Marked up …") ends nothing.
CREDIT_SENTENCE_END = re.compile(r"(?<=[a-z\d\)])\.\s+(?=[A-Z])|;\s*")
# A word long enough to be a misspelled prose role word.
LONG_WORD = re.compile(r"[A-Za-z]{9,}")
# "marked upby Jane", "by Jane" printed as "byJane".
GLUED_BY = re.compile(r"\b(up)(by)\b|(?-i:\bby(?=[A-Z]))", re.I)
# An initial ends a name with its full stop: "Martin F.", "A.M.", "Mike B.".
ENDS_IN_INITIAL = re.compile(r"(?:^|[\s.])[A-Z]\.$")
# A word of a role phrase, and an elided particle before a name ("d’Alembert").
ROLE_PHRASE_WORD = re.compile(r"[^\W\d_][\w'’-]*")
ELIDED_PARTICLE = re.compile(r"^[\W_]*(?:[a-z]{1,2}[’'])?")
A_LETTER = re.compile(r"[^\W\d_]")
# "by", a year, or words before "by", that open a credit's value ("2018 by …", "from the German by …").
LEADING_BY = re.compile(r"^by\s+", re.I)
LEADING_YEAR_BY = re.compile(r"^\s*(?:\d{4}\s*)?(?:by\s+)?", re.I)
WORDS_BEFORE_BY = re.compile(r"^(?:[^,;:()]{0,40}?\s)?by\s+(?=\S)", re.I)
BY_WORD = re.compile(r"\bby\s+(?=\S)")
BRACKETED_ASIDE = re.compile(r"\([^()]*\)|\[[^\]]*\]")
LEADING_YEAR = re.compile(r"^(?:in\s+)?\d{4}\s*(?:by\s+)?")
# Two names joined ("Eden and Cedar Paul"), a day printed with a credit, the separators of roles.
NAMES_JOINED = re.compile(r"\s(?:and|&)\s")
CREDIT_DAY = re.compile(r"\d{1,2}(?:st|nd|rd|th)?,?")
ROLE_LIST_SEPARATOR = re.compile(r"\s*(?:,|&|\band\b|/)\s*")
# A sentence that can hold a credit names a role: a cheap test before the patterns.
ROLE_HINT = re.compile(
    _opening(r"tmpefscdoh", r"transcri|translat|mark|proof|edit|format|typ|scan|conver|check|digit|ocr|correct|html"),
    re.I,
)

# --- citation (citation.py) -----------------------------------------------------------------------
# A volume or issue number longer than this is no number of a volume or issue (and no int() of a
# few thousand digits is asked for).
NUMBER_MAX_DIGITS = 9
# The words that open a source statement; what follows them is the source.
CITATION_PREFIX = re.compile(
    r"^\s*(?:from|source\s*:|originally (?:published )?(?:in|as)|first published in|published in|"
    r"reprinted from|taken from|published by)\s*:?\s*",
    re.I,
)
CITATION_VOLUME = re.compile(r"\b(?:vol(?:ume)?\.?|tomo?|band|bd\.)\s*([IVXLCDM]+\b|\d+)", re.I)
CITATION_ISSUE = re.compile(r"(?:\b(?:nos?|number|nr|n[º°o]|issue)\.?|#)\s*(\d+(?:\s*[/–-]\s*\d+)?)\b", re.I)
CITATION_PAGES = re.compile(
    r"(?:\bpp?\.|\bpages?\b|\bpg\.|\bpp\b|\bp\b(?=\s*\d))\s*"
    r"((?:\d+|[ivxlc]+)[a-z]?(?:\s*(?:[-–—]|&|and|,)\s*\d+[a-z]?)*)",
    re.I,
)
# Text that opens a source statement but names no container ("Vol. 3", "Speech at …").
NOT_CONTAINER = re.compile(
    r"^(?:vol|no\.|nos?\b|p\.|pp\.|page|\d|speech|lecture|letter|address|report|written|"
    r"delivered|transcribed|translated|manuscript|unpublished|the author|author's|marxists|ibid|et al|"
    r"op\.? ?cit)",
    re.I,
)
# "Published by the Socialist Workers Party": a publisher, not a container.
CITATION_PUBLISHER = re.compile(r"^\s*(?:first\s+)?(?:published|printed|produced|issued)(?:\s+and\s+distributed)?\s+"
                                r"(?:[^,]{0,30}\s)?by\b", re.I)
# Words that make an unlabelled colophon line a publication statement.
PUBLICATION_HINT = re.compile(r"\bvol\.|\bno\.\s*\d|\bpp?\.\s*\d|\bpublished (?:in|by)\b", re.I)
# A source statement is one sentence or a short run of citation fragments: an unlabelled first
# line longer than this is a source only when its first sentence names the publication (a
# paragraph of notes or of the text read as a colophon is not).
SOURCE_STATEMENT_MAX_WORDS = 40
# Abbreviations after which a full stop does not end a sentence ("Vol. III", "ed. by").
CITATION_ABBREVIATIONS = frozenset({
    "vol", "vols", "no", "nos", "nr", "p", "pp", "pg", "ed", "eds", "trans", "cf", "ch", "sec", "pt",
    "st", "mr", "mrs", "dr", "jr", "ibid", "op", "cit", "ca", "approx", "inc", "co", "ltd", "vs",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})
# A column named beside the periodical that carries it ("the “In This Corner” column of The
# Militant", "From the column “Two Worlds” in News & Letters"): the column is not the container.
COLUMN_CLAUSE = re.compile(
    r"^(?:the\s+)?(?:(?:regular\s+|weekly\s+|monthly\s+)?column\s*,?\s*[“\"‘'][^”\"’']{1,80}[”\"’']|"
    r"[“\"‘'][^”\"’']{1,80}[”\"’']\s*(?:regular\s+|weekly\s+|monthly\s+)?column|"
    r"[^,“\"]{1,60}?\s+column)\s*(?:,|\s+(?:of|in)\b)\s*",
    re.I,
)
# The authors that open a book's citation: `August Thalheimer "Introduction to …"`, `Eden and Cedar
# Paul, “Independent Working Class Education”`, `Gorky, Radek, Bukharin and others, …`.
_CITATION_NAME = r"(?:[A-Z][\w’'.-]*\.?)(?:\s+(?:[A-Z][\w’'.-]*|de|van|von|der|la|le))*"
_CITATION_NAMES = rf"{_CITATION_NAME}(?:\s*(?:,|&|\band\b)\s*{_CITATION_NAME})*"
CITATION_BYLINE_TITLE = re.compile(
    rf"^(?P<byline>{_CITATION_NAMES})(?:\s*,?\s*(?i:and\s+others|et\s+al\.?))?\s*,?\s*"
    r"[“\"](?P<title>[^”\"]{3,200}?)[,.]?[”\"]"
)
CITATION_BYLINE_OTHERS = re.compile(rf"^(?P<byline>{_CITATION_NAMES})\s*,?\s*(?i:and\s+others|et\s+al\.?)\s*,\s*")

# Patterns of citation.py: where a container's name ends, the words that make a name a column's
# ("“In This Corner” column", "column “Two Worlds”", read in the COLUMN_BEFORE_CHARS characters
# before it), a sentence's end, and names no container has (figures and marks alone).
CITATION_HEAD_END = re.compile(r",|\(|\s+vol\.?\s|\s+no\.?\s*\d|;|\.\s", re.I)
COLUMN_AFTER = re.compile(r"[,.]?[”\"’']?\s*,?\s*(?:regular\s+|weekly\s+)?column\b", re.I)
COLUMN_BEFORE = re.compile(r"\bcolumn\s*,?\s*:?\s*[“\"‘']?\s*$", re.I)
COLUMN_BEFORE_CHARS = 30
SENTENCE_STOP = re.compile(r"([^\s.!?]+)?([.!?])\s+(?=[\"“‘(\[]?[A-Z])")
# A word a full stop follows without ending the sentence: a Roman numeral, initials ("J.", "C.L.R.").
NUMERAL_OR_INITIALS = re.compile(r"[IVXLC]+|(?:[A-Z]\.)+[A-Z]?")
FIGURES_AND_MARKS = re.compile(r"[\d\W]+")
# A container's name is shorter than this.
CONTAINER_MAX_CHARS = 150

# --- series (series.py) ---------------------------------------------------------------------------
SERIES_MARKER = re.compile(
    r"(?:this is )?(?:the |a )?(?P<ord>\w+) (?:and (?:last|final) )?(?:of|in) (?:a |the )?"
    r"(?:(?P<total>\w+) )?(?:series|articles|parts|instalments|installments)",
    re.I,
)
CONTINUED = re.compile(
    r"^\W*(?:to\W+be\W+continued|continued next|to\W+be\W+concluded|"
    r"(?:continued|concluded) in (?:the |our |a )?(?:next|following)|"
    r"continued on|next week|concluded next|continúa|continuará|fortsetzung folgt|"
    r"à suivre|(?:a|à) suivre)\b",
    re.I,
)
# "Conclusion" alone is a section heading; only "(Conclusion)" in brackets marks a last part.
CONCLUDED = re.compile(r"^\W*(?:concluded|the end|end|finis|fin)\W*$|^\W*[(\[]\s*conclusion\s*[)\]]\W*$",
                       re.I)
CONTINUED_FROM = re.compile(r"^\W*(?:continued|concluded) from\b", re.I)
# The words CONTINUED, CONTINUED_FROM, CONTINUED_ALONE and CONCLUDED open with (lower case), and the
# first word of a text, to test against them before the patterns.
SERIES_LINE_OPENINGS = frozenset({"to", "continued", "concluded", "next", "continúa", "continuará",
                                  "fortsetzung", "à", "a", "the", "end", "finis", "fin", "conclusion"})
FIRST_WORD = re.compile(r"\w+")


# A part number as printed: a figure, a Roman numeral (capitals only, so that words such as
# "ill" or "vi" are not read as numbers) or a number word.
PART_NUMBER = r"(?:\d{1,2}|(?-i:[IVXL]{1,7})|" + "|".join(CARDINALS) + r")"
# "Part III", "Installment VII", "pt. I": anywhere, but read only at the start or the end of a
# title or heading (series.py), so that "Lecture 9 Part V" or a sentence naming a part is not.
PART_IN_TITLE = re.compile(
    _opening(r"pti", r"(?:^|\b)(?:part|pt\.|pt|teil|parte|partie|instal+ment)\s*(?P<num>" + PART_NUMBER + r")\b"),
    re.I,
)
# "Some Title - 3 (June 1939)", "In Stalin's Prisons – II", "Genoa and France – II. Poincaré …",
# "[A Part Heading – 1]": a number set off by a dash, ending the title or opening its subtitle.
DASHED_PART = re.compile(
    r"\s[-–—]\s*(?P<num>" + PART_NUMBER + r")(?=\s*(?:[.:](?:\s|$)|[()\[\]]|$))",
    re.I,
)
# "War Reflections 1 (1915)", "The Modern Revolution II": a bare figure or Roman numeral ending a
# title (a date in brackets may follow); not a number word ("The Commission of Nine").  Weak on
# its own (series.py asks for a confirmation).
BARE_PART = re.compile(r"(?P<word>\S+)\s+(?P<num>\d{1,2}|(?-i:[IVXL]{1,7}))\s*(?:\([^()]*\))?\s*$")
# Words whose number names something else than the page's part: "Chapter 9", "Lecture 10",
# "World War II", "After Phase 3".
NOT_PART_WORDS = frozenset({
    "chapter", "chap", "ch", "lecture", "appendix", "section", "volume", "vol", "book", "war",
    "no", "number", "issue", "letter", "thesis", "theses", "article", "point", "p", "pp", "page",
    "phase", "stage", "act", "scene", "clause", "item", "day", "week", "year", "round", "step",
    "plenum", "congress", "conference", "socialism",
})
# A chapter's own number in a title: after it, an unbracketed "Part V" names the book's part the
# chapter belongs to ("Lecture 9 Part V"); a bracketed one splits the chapter into pages
# ("Chapter VI Marat as a Political Power (Part 1)").
DIVISION_NUMBER = re.compile(
    r"\b(?:chapter|chap|ch|lecture|appendix|section|book|volume|vol)\.?\s*(?:\d{1,3}|(?-i:[IVXLC]{1,7})|"
    + "|".join(CARDINALS) + r")\b",
    re.I,
)
# "II.", "1. The Party today", "IV: The Crisis": a heading opening with its number.  Weak on its
# own: a book's chapters and an article's sections are numbered the same way.
NUMBERED_HEADING = re.compile(r"^\W{0,2}(?P<num>\d{1,2}|(?-i:[IVXL]{1,7}))\s*(?:[.:)\]]|$)")
# A page's file name ending in its part number: "coughlin3.htm", "socialism-3.htm", "part-03".
# A letter must come before the digits, so that dates ("1939/06/29.htm", "christianity-14-1")
# and numbered files ("11.htm") are not read; the number only confirms one printed on the page.
FILE_PART_NUMBER = re.compile(r"[a-z][-_]?(?P<num>\d{1,2})$", re.I)
# "(Continued)" or "CONTINUED" alone: at the top of a page it continues an earlier part; after
# the text it says the text goes on.
CONTINUED_ALONE = re.compile(r"^\W*continued\W*$", re.I)
# A paragraph of the text that ends with the marker: "… the sharpest struggle. (To be continued)".
TRAILING_CONTINUED = re.compile(
    r"[(\[]\s*(?:to\W+be\W+continued|to\W+be\W+concluded|(?:continued|concluded)\s+(?:in\s+(?:the\s+|our\s+)?)?next)"
    r"[^()\[\]]{0,80}[)\]]\W*\d{0,3}\s*$",
    re.I,
)
# "The second part of this article … will appear in …", "The next installment will appear in the
# March issue", "concluded next week": the editors announce the next part.
NEXT_PART_ANNOUNCED = re.compile(
    r"\b(?:second|third|fourth|fifth|sixth|next|concluding|final|last|remaining|subsequent)\s+"
    r"(?:and\s+(?:last|final|concluding)\s+)?(?:part|instal+ment|article)s?\b[^.;!?]{0,160}?"
    r"\bwill\s+(?:appear|be\s+(?:published|printed|carried|run)|follow)\b|"
    r"\b(?:(?:to|will)\s+be\s+)?(?:continued|concluded)\s+next\s+(?:week|issue|month)\b",
    re.I,
)
# A series line ("(To be continued in next issue)") is a short paragraph of its own; a series
# marker names its series with one of these words (a cheap test before SERIES_MARKER).
SERIES_LINE_MAX_WORDS = 30
# A paragraph's trailing marker is read in its last TRAILING_MARKER_CHARS characters; a numbered
# heading gives the part number among the first OPENING_NUMBERED_HEADINGS headings of the text.
TRAILING_MARKER_CHARS = 120
OPENING_NUMBERED_HEADINGS = 2
SERIES_MARKER_WORDS = ("series", "articles", "parts", "instalments", "installments")
# Closing punctuation, brackets and a bracketed date that may follow a part number ending a title.
PART_TITLE_TAIL = re.compile(r"^[\s.,:;)\]]*(?:\([^()]*\))?[\s.)\]]*$")
# Announcements are read in the notes and in this many paragraphs at each end of the text, in
# paragraphs of at most ANNOUNCEMENT_MAX_CHARS characters (an editors' note; the longest in the
# sample corpus has 730), and only where one of the announcement's verbs occurs.
ANNOUNCEMENT_EDGE_PARAGRAPHS = 3
ANNOUNCEMENT_MAX_CHARS = 1500
ANNOUNCEMENT_VERBS = (" will appear", " will be published", " will be printed", " will be carried",
                      " will be run", " will follow")
# "21st", "3rd": an ordinal in figures.
ORDINAL_FIGURE = re.compile(r"(\d+)(?:st|nd|rd|th)")
WORD_CHARACTER = re.compile(r"\w")

# --- dates (dates.py) -----------------------------------------------------------------------------
MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}
SEASONS: dict[str, int] = {
    "spring": 21, "summer": 22, "autumn": 23, "fall": 23, "winter": 24,
}

# The grammar of the hand parser (dates.parse_date): the words and numbers a date is made of ...
MONTH_WORD = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
              r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
SEASON_WORD = r"(?:spring|summer|autumn|fall|winter)"
DAY_NUMBER = r"(?:[0-3]?\d)(?:st|nd|rd|th|d)?"
YEAR_NUMBER = r"(?:1[0-9]{3}|20[0-9]{2})"
OLD_NEW_STYLE = r"\((?:o\.?\s*s\.?|old style|n\.?\s*s\.?|new style)\)"
# ... what is taken off around it ("c. 1917", "1917 (approx.)"; "19o5" is read as 1905) ...
LETTER_O_YEAR = re.compile(r"\b([12][0-9oO]{3})\b")
DATE_QUALIFIER = re.compile(
    r"^(?:c\.|ca\.|circa|about|approx(?:imately|\.)?|around|early|late|mid-?|before|after|"
    r"written|first published|published|probably|possibly|not later than|not earlier than|"
    r"prior to|in|on|the|end of|beginning of|at the beginning of|at the end of|by)\s+",
    re.I,
)
DATE_TRAILING_QUALIFIER = re.compile(r"\s*[(\[]?(?:approx(?:imately|\.)?|circa|\?)[)\]]?\s*$", re.I)
# The words DATE_TRAILING_QUALIFIER takes off the end, for a cheap test before it.
TRAILING_QUALIFIER_WORDS = ("approx", "approx.", "approximately", "circa", "?")
ENDS_IN_ABBREVIATION = re.compile(r"\b[a-z]{1,4}\.$", re.I)
# ... the point forms, tried in order on the whole (normalised) string ...
DATE_ISO = re.compile(rf"({YEAR_NUMBER})-(\d\d)(?:-(\d\d))?")
DATE_NUMERIC = re.compile(r"(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4}|\d{2})")
DATE_DAY_MONTH_YEAR = re.compile(
    rf"(?P<d>{DAY_NUMBER})\s*(?:\((?P<d2>{DAY_NUMBER})\)\s*)?(?:of\s+)?(?P<m>{MONTH_WORD})\s*"
    rf"(?:\((?P<m2>{MONTH_WORD})\)\s*)?(?P<os>{OLD_NEW_STYLE})?\s*,?\s*(?P<y>{YEAR_NUMBER})",
    re.I,
)
DATE_MONTH_DAY_YEAR = re.compile(
    rf"(?P<m>{MONTH_WORD})\s*(?P<d>{DAY_NUMBER})\s*(?:\((?:(?P<m2>{MONTH_WORD})\s*)?(?P<d2>{DAY_NUMBER})\)"
    rf"|(?P<os>{OLD_NEW_STYLE}))?\s*,?\s*(?P<y>{YEAR_NUMBER})",
    re.I,
)
DATE_MONTH_YEAR = re.compile(rf"(?P<m>{MONTH_WORD})\s*,?\s*(?P<y>{YEAR_NUMBER})", re.I)
DATE_SEASON_YEAR = re.compile(
    rf"(?P<s>{SEASON_WORD})\s*,?\s*(?P<y>{YEAR_NUMBER})(?:\s*/\s*(?P<y2>\d{{2}}|{YEAR_NUMBER}))?", re.I)
DATE_YEAR = re.compile(rf"(?P<y>{YEAR_NUMBER})")
DATE_DECADE = re.compile(r"(?P<y>1[0-9]{2}|20[0-9])(?:0'?s|[xX])")
DATE_UNKNOWN_YEAR = re.compile(r"(?:1[0-9]|20)[xX?]{2}|[xX?]{1,2}\.[xX?]{1,2}\.\d{4}")
# ... the left side of a range, completed from its right side ("May" in "May–July 1946") ...
DATE_DAY_ALONE = re.compile(DAY_NUMBER, re.I)
DATE_MONTH_ALONE = re.compile(MONTH_WORD, re.I)
DATE_DAY_AND_MONTH = re.compile(
    rf"(?P<d>{DAY_NUMBER})\s+(?P<m>{MONTH_WORD})|(?P<m2>{MONTH_WORD})\s+(?P<d2>{DAY_NUMBER})", re.I)
DATE_SEASON_ALONE = re.compile(SEASON_WORD, re.I)
# ... and the ranges: "May–July 1946", "1917 to 1923", "March 8-16, 1921".
DATE_RANGE_SEPARATOR = re.compile(r"\s*(?:–|—|-|/|\bto\b|\buntil\b|\btill\b)\s*", re.I)
RANGE_START_MONTH_DAY = re.compile(rf"(?P<m>{MONTH_WORD})\s*(?P<d>{DAY_NUMBER})", re.I)
RANGE_END_DAY_YEAR = re.compile(rf"(?P<d>{DAY_NUMBER})\s*,?\s*(?P<y>{YEAR_NUMBER})", re.I)
# A date inside a longer text (dates.find_date): every form the grammar reads carries a year.
HAS_YEAR = re.compile(_opening(r"12", r"(?<!\d)(?:1[0-9oO]|20)[0-9oO]{2}(?!\d)"))
DATE_IN_TEXT = re.compile(
    _opening(
        r"\djfmasondw",
        starts=r"\d|ja|fe|ma|ap|ju|au|se|oc|no|de|sp|su|fa|wi",
        # "March 8-16, 1921", "8 (21) March 1917", "March 8, 1921", "March 1921", "Spring 1937", …
        pattern=rf"(?:{MONTH_WORD}\s*{DAY_NUMBER}\s*(?:–|—|-|/)\s*{DAY_NUMBER}\s*,?\s*{YEAR_NUMBER}"
        rf"|(?:{DAY_NUMBER})\s*(?:\({DAY_NUMBER}\)\s*)?(?:of\s+)?{MONTH_WORD}\s*(?:\({MONTH_WORD}\)\s*)?"
        rf"(?:{OLD_NEW_STYLE})?\s*,?\s*{YEAR_NUMBER}"
        rf"|{MONTH_WORD}\s*{DAY_NUMBER}\s*(?:\((?:{MONTH_WORD}\s*)?{DAY_NUMBER}\)|{OLD_NEW_STYLE})?\s*,?\s*{YEAR_NUMBER}"
        rf"|{MONTH_WORD}\s*,?\s*{YEAR_NUMBER}"
        rf"|{SEASON_WORD}\s*,?\s*{YEAR_NUMBER}(?:\s*/\s*(?:\d{{2}}|{YEAR_NUMBER})\b)?"
        rf"|{YEAR_NUMBER}-\d\d-\d\d"
        rf"|\b\d{{1,2}}\.\d{{1,2}}\.\d{{4}}"
        rf"|(?:1[0-9]{{2}}|20[0-9])0'?s"
        rf"|{YEAR_NUMBER})(?![\d])",
    ),
    re.I,
)
# The start of a range printed before a date found in a text ("May–" before "July 1946"), read in
# the RANGE_START_CHARS characters before it; it ends with one of RANGE_START_ENDS.
RANGE_START_IN_TEXT = re.compile(
    rf"(?:(?:{DAY_NUMBER}\s+)?{MONTH_WORD}(?:\s+{DAY_NUMBER})?|{DAY_NUMBER}|{SEASON_WORD}|{YEAR_NUMBER}"
    rf"|(?:{DAY_NUMBER}\s+)?{MONTH_WORD}\s*,?\s*{YEAR_NUMBER}|{MONTH_WORD}\s+{DAY_NUMBER},?\s*{YEAR_NUMBER})"
    rf"\s*(?:–|—|-|/|\bto\b)\s*$",
    re.I,
)
RANGE_START_CHARS = 40
RANGE_START_ENDS = ("–", "—", "-", "/")
RANGE_END_SEPARATOR = re.compile(r"\s*(?:–|—|-|/|\bto\b)\s*", re.I)
# The years a date may name, and the two-figure years read as 20xx ("12.3.07"), the others as 19xx.
DATE_YEARS = range(1000, 3000)
TWO_DIGIT_YEAR_PIVOT = 30
# Figures: a date holds one; other languages' dates are read by dateparser when they hold a year.
DIGIT = re.compile(r"\d")
NOT_DIGITS = re.compile(r"\D")
FIGURES = re.compile(r"\d+")
FOUR_FIGURES = re.compile(r"\b\d{4}\b")
# An archive path's year, month (or month name) and decade: `.../1946/06/...`, `.../1910s/...`.
URL_YEAR = re.compile(r"1[5-9]\d\d|20[0-4]\d")
URL_MONTH = re.compile(r"0[1-9]|1[0-2]")
URL_DECADE = re.compile(r"1[5-9]\d0s")

# --- kind (kind.py) -------------------------------------------------------------------------------
# Page names that hold something other than a work (biographies, time lines, placeholders).
NON_WORK_PAGES = re.compile(
    r"(?:^|/)(?:biograph\w*|biografi\w*|bio|timeline|chronology|404|search|sitemap|"
    r"photo\w*|pics?|images?|gallery|credits|volunteers)(?:\.html?|/)",
    re.I,
)
PLACEHOLDER_TITLES = re.compile(_opening(r"nrpm", r"not found|restricted directory|page moved|moved permanently"),
                                re.I)
# An author's index: a folder's index page in the author's folder (or its works/ folder), or a list by
# date.
AUTHOR_INDEX_NAMES = re.compile(r"(?:index|indeks|indice|works|obras|oeuvres|werke)\.html?")
AUTHOR_INDEX_PATHS = "/works/date/"
# A text that is mostly links is an index (or a contents page): LINK_LIST_MIN_ENTRIES pages linked
# and LINK_LIST_LINK_SHARE of the words in links or fewer than LINK_LIST_MAX_PROSE words besides;
# or LINK_PAIR_MIN_ENTRIES pages and fewer than LINK_PAIR_MAX_PROSE words besides.
LINK_LIST_MIN_ENTRIES = 3
LINK_LIST_LINK_SHARE = 0.5
LINK_LIST_MAX_PROSE = 60
LINK_PAIR_MIN_ENTRIES = 2
LINK_PAIR_MAX_PROSE = 25
# A gallery: GALLERY_MIN_IMAGES images or more, fewer than GALLERY_WORDS_PER_IMAGE words of text each.
GALLERY_MIN_IMAGES = 3
GALLERY_WORDS_PER_IMAGE = 40
# An empty shell: fewer words than this, and no byline, colophon or date line.
EMPTY_PAGE_MAX_WORDS = 15
# A contents page lists at least CHAPTER_LIST_MIN pages beside it, one to a line, each line opening
# with its link (after a number: "1. –", "IV.", "Chapter 2:"), whatever text comes before or after
# the list (an introduction, the book's preface, a synopsis of each chapter).
CHAPTER_LIST_MIN = 3
CHAPTER_LINE_LEAD = re.compile(
    r"^[\W\d_]*(?:(?:chapter|part|book|section|lecture|letter|appendix)\b[\W\d_]*)?(?:[ivxlc]+\b)?[\W\d_]*$",
    re.I,
)
# Lines of these classes are navigation, never a contents list.
CHAPTER_LIST_SKIP_CLASSES = frozenset({"toplink", "footer", "next", "linkback", "skip", "title", "navbar"})

# --- index (index.py) -----------------------------------------------------------------------------
# Blocks of these classes are navigation or the foot of the page, never entries.
INDEX_SKIP_CLASSES = frozenset({"toplink", "footer", "updat", "inline", "foot", "title", "linkback"})
# Links that lead to no page of the site, and how far into a link its scheme's "://" is looked for
# (a link to another site).
NOT_ENTRY_LINKS = ("#", "mailto:", "javascript:")
SCHEME_CHARS = 12
# Files that are no page: images, styles, scripts, sound, archives, documents.
NOT_PAGE_FILES = re.compile(
    r"\.(?:jpe?g|png|gif|svg|css|js|ico|bmp|tiff?|mp3|ogg|wav|zip|gz|doc|rtf|txt|epub|mobi)$", re.I)
# A link to a page: an HTML file, a folder, or a name without an extension.
HTML_LINK = re.compile(r"\.(?:html?|php|asp)$|/$|^[^.]*$", re.I)
# A bracketed note beside an entry: "(with Engels)", "(a draft)".
ENTRY_NOTE = re.compile(r"\([^()]{2,80}\)")

# --- navigation (navigation.py) -------------------------------------------------------------------
# References that lead to no page: fragments of this one, mail, scripts, telephones.
NOT_PAGE_LINKS = ("#", "mailto:", "javascript:", "tel:")
# A chapter's link to its book's contents page, and the folder's index page.
CONTENTS_LINK = re.compile(r"^(?:table of )?contents$|^index$|^(?:book|pamphlet) index$|^índice$|^indice$", re.I)
FOLDER_INDEX = re.compile(r"index\.html?")
# The characters a URL path holds as they are (RFC 3986 unreserved, sub-delimiters but ";", "@",
# "/", and percent escapes): a link of these alone is resolved without urljoin.
URL_PATH_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=@%/"
# The characters of a plain host (and port, and user): an http(s) URL of these and a path of
# URL_PATH_CHARACTERS is split without urlparse.
URL_HOST_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=@%:"

# --- the archive's sections (catalogue.py) --------------------------------------------------------
# An alias in brackets after an author's catalogued name: "Corey, Lewis (Louis Fraina)".
AUTHOR_ALIAS = re.compile(r"\s*\(.*?\)")
# Folders of the English archive; everything else is a language section.
ENGLISH_ROOTS = frozenset(
    {"archive", "history", "subject", "reference", "glossary", "admin", "ebooks", "audiobooks",
     "css", "img", "js", "photo", "library", "encyclopedia", "reviews", "sections"}
)
# Language-section folder -> ISO 639-1 (sections.json names the folders, not their codes).
SECTION_LANGUAGES: dict[str, str] = {
    "afrikaans": "af", "shqip": "sq", "amharic": "am", "arabic": "ar", "hayeren": "hy",
    "asamiya": "as", "azerbaycan": "az", "bangla": "bn", "bulgarsky": "bg", "burmese": "my",
    "catala": "ca", "chinese": "zh", "kernowek": "kw", "cestina": "cs", "dansk": "da",
    "deutsch": "de", "eesti": "et", "espanol": "es", "esperanto": "eo", "euskara": "eu",
    "farsi": "fa", "suomi": "fi", "francais": "fr", "georgian": "ka", "ellinika": "el",
    "gujarati": "gu", "hausa": "ha", "hebrew": "he", "hindi": "hi", "magyar": "hu",
    "indonesia": "id", "isizulu": "zu", "islenska": "is", "italiano": "it", "nihon": "ja",
    "kannada": "kn", "kazak": "kk", "korean": "ko", "kurdi": "ku", "kyrgyzcha": "ky",
    "lietuviu": "lt", "makedonski": "mk", "malagasy": "mg", "malayalam": "ml",
    "marathi": "mr", "mongolian": "mn", "nederlands": "nl", "nepali": "ne", "norsk": "no",
    "occitan": "oc", "odia": "or", "pashto": "ps", "polski": "pl", "portugues": "pt",
    "punjabi": "pa", "quechua": "qu", "romana": "ro", "russkij": "ru", "sakha": "ru",
    "sardu": "sc", "srpshrva": "sh", "sindhi": "sd", "sinhala": "si", "slovak": "sk",
    "slovenian": "sl", "svenska": "sv", "kiswahili": "sw", "tagalog": "tl", "tojiki": "tg",
    "tamil": "ta", "telugu": "te", "thai": "th", "tibetan": "bo", "turkce": "tr",
    "ukrainian": "uk", "urdu": "ur", "uyghur": "ug", "ozbekcha": "uz", "vietnamese": "vi",
    "xlang": "en", "yiddish": "yi",
}
