"""The archive's vocabularies and selectors: labels, class names, month and season words, sections,
and the thresholds that tell a parse that lost the page."""

from __future__ import annotations

import re

# --- colophon labels -----------------------------------------------------------------------
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

# --- classes and selectors -----------------------------------------------------------------
COLOPHON_CLASSES = ("information", "info", "from", "transcriber")
# Navigation, never text. ("updat", "inline" and "foot" are not here: they hold the last-updated
# line, which ends the text by its wording, and are sometimes borrowed for ordinary text.)
NAV_CLASSES = frozenset(
    {"toplink", "footer", "link", "next", "title", "linkback", "skip", "index", "indexb", "toc", "navbar"}
)
NOTE_CLASSES = frozenset({"note", "endnote", "npte", "footnote", "notes", "fn", "enote"})
# "Last updated on", "Updated on", and the misprint "Last up dated on".
LAST_UPDATED = re.compile(r"(?:last\s+)?up\s?dated(?:\s+on)?\s*:?\s*", re.I)

# Headings that open the notes at the end of a text.
NOTES_HEADINGS = re.compile(
    r"^\s*(?:foot|end|editorial |translator.s |transcriber.s )?notes?\s*:?\s*$|^\s*notas\s*$|"
    r"^\s*anmerkungen\s*$|^\s*references\s*$",
    re.I,
)
EDITORIAL_NOTE = re.compile(
    r"^\s*[\[(]?\s*(?:editorial note|editor.s note|ed(?:itor)?\.? note|note by (?:the )?(?:etol|mia|editors?)|"
    r"translator.s note|transcriber.s note|mia note|etol note|note)\s*[:.]",
    re.I,
)
SEPARATOR = re.compile(r"^[\s*•·.\-–—_~#=+x×]*$", re.I)

# --- series ----------------------------------------------------------------------------------
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

# --- series: part numbers, part lines and announcements --------------------------------------
# A part number as printed: a figure, a Roman numeral (capitals only, so that words such as
# "ill" or "vi" are not read as numbers) or a number word.
PART_NUMBER = r"(?:\d{1,2}|(?-i:[IVXL]{1,7})|" + "|".join(CARDINALS) + r")"
# "Part III", "Installment VII", "pt. I": anywhere, but read only at the start or the end of a
# title or heading (series.py), so that "Lecture 9 Part V" or a sentence naming a part is not.
PART_IN_TITLE = re.compile(
    r"(?:^|\b)(?:part|pt\.|pt|teil|parte|partie|instal+ment)\s*(?P<num>" + PART_NUMBER + r")\b",
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

# --- licence -------------------------------------------------------------------------------------
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
PUBLIC_DOMAIN = re.compile(r"public domain|pubic domain|dominio p[uú]blico|domaine public|"
                           r"pubblico dominio|completely free|freely copy|common deed", re.I)
COPYLEFT = re.compile(r"copy-?left|creative commons|free documentation licen[cs]e", re.I)
COPYRIGHT = re.compile(
    r"©|\(c\)\s*\d{4}|copyright\s+(?:\d{4}|by|©|the|[A-Z])|reprinted (?:here )?with permission|"
    r"(?:by )?(?:kind )?permission (?:of|from)|all rights reserved|with (?:the )?(?:kind )?permission",
    re.I,
)

# --- dates ----------------------------------------------------------------------------------------
MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}
SEASONS: dict[str, int] = {
    "spring": 21, "summer": 22, "autumn": 23, "fall": 23, "winter": 24,
}
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
# Page names that hold something other than a work (biographies, time lines, placeholders).
NON_WORK_PAGES = re.compile(
    r"(?:^|/)(?:biograph\w*|biografi\w*|bio|timeline|chronology|404|search|sitemap|"
    r"photo\w*|pics?|images?|gallery|credits|volunteers)(?:\.html?|/)",
    re.I,
)
PLACEHOLDER_TITLES = re.compile(r"not found|restricted directory|page moved|moved permanently",
                                re.I)
# A chapter's own heading printed under the book's title.
CHAPTER_HEADING = re.compile(
    r"^(?:chapter|part|book|section|lecture|letter|appendix|capítulo|capitulo|kapitel|chapitre|"
    r"parte|teil)\s+\w+|^(?:[IVXLC]+|\d+)[.:]?\s",
    re.I,
)

# --- the parse ------------------------------------------------------------------------------
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

# --- title (page.read_header, page._heading_text) -------------------------------------------
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

# --- byline (page._pick_byline) ----------------------------------------------------------------
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

# --- date line (page.read_header) ----------------------------------------------------------------
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

# --- kind (page._page_kind) --------------------------------------------------------------------
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

# --- credits (credits.py) ----------------------------------------------------------------------
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
PROSE_CREDIT_BY = re.compile(_PROSE_ROLES + _PROSE_BETWEEN + r"[\s,]+(?:(?:is|was|were)\s+)?by\s+(?P<names>\S.*)",
                             re.I)
# A sentence that opens with its roles and names someone without "by": "Transcribed Ted Crawford.",
# "Transcribed & marked up Jane Doe for the Marxists’ Internet Archive".
PROSE_CREDIT_BARE = re.compile(
    r"^\W*" + _PROSE_ROLES
    + r"\s+(?!(?:the|this|these|that|a|an|in|into|from|for|at|on|by|as|with|and|to|of)\b)(?-i:(?P<names>[A-Z].*))",
    re.I,
)
# A credit inside a credit: "Clemans Dutt, edited by Robert Daglish".
SUBCREDIT = re.compile(
    r"[,;.]?\s*\b(?:additional\s+|minor\s+|further\s+)?(edited|copy-?edited|copy-?editing|proofread|proof-read|"
    r"proofed|transcribed|marked[ -]up|translated|html markup|formatted|corrections)\s+by\b",
    re.I,
)
# Where the names of a credit end: "… for the Marxists’ Internet Archive", "… (June 2010)", "; …",
# ": published by …", "[note: …]".
NAME_STOP = re.compile(
    r"\s+(?:for|at|from|on behalf of|courtesy)\s+(?:the\s+)?(?=[A-Z]|www|marxists|etol|mia)|"
    r",?\s*\b(?:with (?:many )?thanks|thanks to|courtesy of|by kind permission)\b|"
    r"\s+(?:in|on|during)\s+(?:\w+\s+)?\d{4}|\s*[(\[]|;|:\s|(?<!\b[A-Z])\.\s|(?<!\b[A-Z])\.$|\s+-\s+|\s+–\s+",
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
    r"\(?\b(?:\d{1,2}(?:st|nd|rd|th)?\s+)?"
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|spring|summer|autumn|fall|winter)\.?"
    r"(?:\s+\d{1,2}(?:st|nd|rd|th)?)?,?\s+(?:1[89]\d\d|20\d\d)\b\)?",
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

# --- citation (citation.py) --------------------------------------------------------------------
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
