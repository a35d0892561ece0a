"""Which language a message is in: py3langid's shipped model, limited to the languages a shop's
customers write in, with a word list for greetings too short for the model."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from typing import TYPE_CHECKING

from deskterm.triage.labels import UNDETERMINED

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

# Languages the model may answer. Fewer candidates make short mails far more reliable; these
# cover the EU, the UK, the Americas' main languages and the large Asian markets.
LANGUAGES = (
    "en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "no", "fi", "cs", "sk", "hu",
    "ro", "el", "tr", "ru", "uk", "ja", "zh", "ko", "ar", "he",
)  # fmt: skip

# One or two words the model cannot tell apart ("Danke!" reads as Danish to it).
SHORT_WORDS = {
    "en": "thanks thank you cheers hello hi great perfect yes please help",
    "de": "danke dankeschön vielen bitte perfekt nein gut",
    "fr": "merci bonjour beaucoup salut oui parfait svp stp",
    "es": "gracias hola muchas sí perfecto vale bueno",
    "it": "grazie ciao mille buongiorno sì perfetto bene salve",
    "nl": "bedankt dank dankjewel hoi nee prima goed",
    "pt": "obrigado obrigada olá sim perfeito bom",
}
_WORD_LANGUAGE = {w: lang for lang, words in SHORT_WORDS.items() for w in words.split()}
# Function words that belong to one of these languages only. When they agree clearly, the model
# is not asked: it costs ~100 µs a message, the vote ~10.
STOPWORDS = {
    "en": "the and my you your have not was with for this it of to what when where would could"
    " please i i'm don't hasn't haven't can't didn't it's there been",
    "de": "und ich nicht mein meine meinen meiner der das sie mit auf für bitte noch habe wurde"
    " eine einen wann wie danke bei auch schon kann können ihre sehr ihnen",
    "fr": "les et je pas mon ma mes vous des pour avec qui ce sur au du merci toujours j'ai"
    " n'ai bonjour être avez est votre",
    "es": "el los las y mis está han hola gracias todavía puedo pero muy quiero hace nada"
    " usted ustedes también",
    "it": "il gli è non di mio mia della ho sono grazie ancora ciao buongiorno posso vorrei"
    " ordine perché anche già questo",
    "nl": "het ik niet mijn van voor met op nog heb jullie bedankt wanneer maar geen ook zijn"
    " dat wil graag kunnen",
    "pt": "os não meu minha um ainda obrigado obrigada olá recebi você vocês muito também é"
    " fiz encomenda gostaria",
}
# Shop words of one language only, voting with the function words: a terse "order refund
# tracking" mail has none of those.
SHOP_WORDS = {
    "en": "order parcel package refund return delivery arrived received damaged broken exchange"
    " cancel address size thanks help",
    "de": "bestellung paket lieferung rückerstattung rücksendung erhalten angekommen kaputt"
    " umtausch stornieren größe",
    "fr": "commande colis livraison remboursement reçu arrivé cassé échange annuler adresse taille",
    "es": "pedido paquete envío reembolso devolución recibido llegado roto cancelar"
    " dirección talla",
    "it": "pacco spedizione rimborso reso ricevuto arrivato rotto annullare indirizzo taglia",
    "nl": "bestelling pakket levering terugbetaling ontvangen aangekomen kapot ruilen"
    " annuleren adres maat",
}
for _lang, _words in SHOP_WORDS.items():
    STOPWORDS[_lang] += " " + _words
_STOPWORD_LANGUAGE = {w: lang for lang, words in STOPWORDS.items() for w in words.split()}
# The vote decides when the leader has this many words and twice the runner-up's.
VOTES = 3
_WORDS = re.compile(r"\w+(?:'\w+)?")
# Below this many letters the model guesses; the word list decides, or nobody does.
SHORT = 12
# Below this confidence a short text is left undetermined rather than guessed.
CONFIDENT = 0.8
# The model walks the text byte by byte in Python; this much tells the language as well as more.
MODEL_CHARS = 300


@cache
def _identifier() -> LanguageIdentifier:
    # Unpacking the model takes ~0.5 s, once per process and only when a message needs it.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _votes(words: list[str], table: dict[str, str]) -> list[tuple[int, str]]:
    """Languages by how many of `words` the table gives them, most first."""
    votes = Counter(filter(None, map(table.get, words)))
    return sorted(((n, lang) for lang, n in votes.items()), reverse=True)


def _by_stopwords(words: list[str]) -> str | None:
    ranked = _votes(words, _STOPWORD_LANGUAGE)
    if not ranked or ranked[0][0] < VOTES:
        return None
    if len(ranked) > 1 and ranked[0][0] < 2 * ranked[1][0]:
        return None
    return ranked[0][1]


def detect(text: str) -> tuple[str, float]:
    """The ISO 639-1 code of `text` and the model's confidence; `und` for text with no letters."""
    words = _WORDS.findall(text.lower())
    letters = sum(map(len, words)) - sum(map(len, filter(str.isdigit, words)))
    if letters == 0:
        return UNDETERMINED, 0.0
    if letters < SHORT or len(words) <= 2:
        short = _votes(words, _WORD_LANGUAGE)
        if short:
            return short[0][1], 1.0
    voted = _by_stopwords(words)
    if voted:
        return voted, 1.0
    lang, confidence = _identifier().classify(text[:MODEL_CHARS])
    if letters < SHORT and confidence < CONFIDENT:
        return UNDETERMINED, float(confidence)
    return str(lang), float(confidence)
