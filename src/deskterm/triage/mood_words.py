"""Sentiment word lists for languages VADER does not read, in folded spelling (no accents).

Small on purpose: the words support mail actually uses, scored like VADER's lexicon (-4 to 4).
"""

from __future__ import annotations


def _words(positive: str, negative: str, strong: str) -> dict[str, float]:
    """Each word with its weight: positive +2, negative -2, strongly negative -3."""
    scored = {w: 2.0 for w in positive.split()}
    scored.update({w: -2.0 for w in negative.split()})
    scored.update({w: -3.0 for w in strong.split()})
    return scored


WORDS: dict[str, dict[str, float]] = {
    "de": _words(
        "danke dankeschon super toll prima perfekt klasse schnell zufrieden freue freut gerne"
        " wunderbar hervorragend bestens lieb top genial begeistert schon",
        "leider enttauscht enttauschend kaputt beschadigt defekt falsch problem probleme arger"
        " argerlich schlecht langsam fehlt verspatet nie warte frustriert traurig"
        " unzufrieden mangelhaft",
        "katastrophe unverschamt frechheit unmoglich schrecklich furchtbar inakzeptabel"
        " miserabel betrug wutend sauer skandal",
    ),
    "fr": _words(
        "merci super parfait genial ravi ravie content contente rapide excellent top bravo"
        " magnifique adore bien",
        "malheureusement decu decue decevant casse abime endommage probleme mauvais mauvaise"
        " retard lent manque toujours attends inquiet inquiete inquieter triste mecontent mecontente",
        "inadmissible inacceptable scandaleux honteux catastrophe arnaque nul nulle horrible"
        " furieux furieuse",
    ),
    "es": _words(
        "gracias genial perfecto perfecta encantado encantada contento contenta rapido rapida"
        " excelente estupendo maravilloso fantastico bien",
        "desafortunadamente lamentablemente decepcionado decepcionada roto rota danado danada"
        " problema mal mala retraso lento lenta falta todavia espero preocupado preocupada"
        " preocuparme triste",
        "inaceptable vergonzoso vergonzosa indignante horrible estafa pesimo pesima furioso"
        " furiosa harto harta",
    ),
    "it": _words(
        "grazie perfetto perfetta ottimo ottima fantastico contento contenta felice veloce"
        " eccellente bravissimi gentilissimi splendido bene",
        "purtroppo deluso delusa deludente rotto rotta danneggiato problema male brutto ritardo"
        " lento manca ancora aspetto preoccupato preoccupata preoccuparmi triste",
        "inaccettabile vergognoso vergogna scandaloso pessimo pessima truffa orribile"
        " furioso furiosa schifo",
    ),
    "nl": _words(
        "bedankt dank super top perfect geweldig tevreden snel blij fijn prima uitstekend mooi"
        " goed",
        "helaas teleurgesteld teleurstellend kapot beschadigd probleem slecht slechte vertraging"
        " traag ontbreekt wacht jammer ontevreden zorgen",
        "onacceptabel schandalig belachelijk waardeloos oplichting oplichters vreselijk"
        " woedend boos",
    ),
    "pt": _words(
        "obrigado obrigada perfeito otimo excelente contente feliz rapido rapida bom",
        "infelizmente decepcionado decepcionada quebrado danificado problema mau ruim atraso"
        " lento falta ainda espero triste",
        "inaceitavel vergonhoso pessimo pessima golpe horrivel furioso furiosa",
    ),
}

NEGATIONS: dict[str, frozenset[str]] = {
    "de": frozenset("nicht kein keine keinen keiner nie niemals".split()),
    "fr": frozenset("pas jamais ni aucun aucune".split()),
    "es": frozenset("no nunca ni ningun ninguna jamas".split()),
    "it": frozenset("non mai ne nessun nessuna".split()),
    "nl": frozenset("niet geen nooit".split()),
    "pt": frozenset("nao nunca nem nenhum nenhuma".split()),
}

# Words of a customer at the end of their patience, in any language triage reads.
# Words of a customer at the end of their patience, in any language triage reads (folded): whole
# words, word beginnings, and phrases.
ANGER_WORDS = frozenset(
    """
    thief thieves lawyer attorney solicitor chargeback ridiculous disgusted disgusting wtf
    pathetic furious outrageous joke betrug betruger anwalt rechtsanwalt verbraucherzentrale
    abzocke frechheit unverschamt wutend schande arnaque voleur voleurs avocat plainte honteux
    scandaleux furieux ladrones abogado vergonzoso vergonzosa verguenza furioso furiosa harto
    ladri avvocato vergogna schifo dieven advocaat aangifte schandalig woedend golpe advogado
    procon
    """.split()
)
ANGER_STEMS = (
    "scam", "fraud", "disgrac", "fuck", "fck", "shit", "sh1t", "escroc", "estafa", "denuncia",
    "truffa", "oplicht",
)  # fmt: skip
ANGER_PHRASES = (
    "small claims", "trading standards", "sue you", "report you", "worst company",
    "worst service", "worst shop", "worst store", "never again", "never ever", "nie wieder",
    "une honte", "plus jamais", "nunca mas", "mai piu", "nooit meer", "nunca mais",
)  # fmt: skip

# Thanks that close a request: manners, not mood, unless thanking is what the message is for.
COURTESY = frozenset(
    "thanks thank thx cheers danke dankeschon dank merci gracias grazie bedankt obrigado"
    " obrigada".split()
)
