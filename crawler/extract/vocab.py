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
}

# Phrases inside prose lines: "Transcribed & marked up by X", "Translated by X" ...
PROSE_CREDIT = re.compile(
    r"(?P<roles>(?:(?:transcribed|transcription|marked[ -]up|html[ -]mark-?up|mark(?:ed)?-?up|"
    r"formatted|proof-?read|edited|translated|typed|scanned|converted|checked)"
    r"(?:\s*(?:,|&|and|/)\s*)?)+)\s+by\s+(?P<names>.+)",
    re.I,
)
PROSE_ROLE_WORDS: dict[str, str] = {
    "transcribed": "transcription",
    "transcription": "transcription",
    "typed": "transcription",
    "scanned": "transcription",
    "marked up": "markup",
    "marked-up": "markup",
    "markup": "markup",
    "mark-up": "markup",
    "html mark-up": "markup",
    "html markup": "markup",
    "formatted": "markup",
    "converted": "markup",
    "proofread": "proofreading",
    "proof-read": "proofreading",
    "checked": "proofreading",
    "edited": "editing",
    "translated": "translation",
}

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
LAST_UPDATED = re.compile(r"(?:last\s+)?updated(?:\s+on)?\s*:?\s*", re.I)

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
    r"^\W*(?:to be continued|continued next|to be concluded|continued in (?:the )?next|"
    r"continued on|next week|concluded next|continúa|continuará|fortsetzung folgt|"
    r"à suivre|(?:a|à) suivre)\b",
    re.I,
)
CONCLUDED = re.compile(r"^\W*(?:concluded|the end|end|conclusion|finis|fin)\W*$", re.I)
CONTINUED_FROM = re.compile(r"^\W*(?:continued|concluded) from\b", re.I)
PART_IN_TITLE = re.compile(
    r"(?:^|\b)(?:part|teil|parte|partie)\s+(?P<num>[ivxlc]+|\d+|"
    + "|".join(CARDINALS)
    + r")\b",
    re.I,
)

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
