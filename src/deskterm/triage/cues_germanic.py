"""Intent cues in English, German and Dutch (see intent_cues)."""

from __future__ import annotations

# intent -> (weight, cue) pairs; intent_cues says how they are weighed.
Cues = dict[str, tuple[tuple[float, str], ...]]

EN: Cues = {
    "wismo": (
        (3, r"\bwhere('?s| is) (my|the|our) (order|parcel|package|shipment|delivery|item|stuff)"),
        (
            3,
            r"\b(has|have|had|is|it|they|still)(n'?t| not| never)? (yet )?(arrived|been delivered"
            r"|been shipped|turned up|shown up|come)\b(?! today| yesterday)",
        ),
        (
            3,
            r"\b(not|n't|never) (yet )?(received|arrived|delivered|got (it|my|the))\b"
            r"|\bnothing (has )?(arrived|came|at my door)|\b(marked|says|shows) (it )?(as )?delivered",
        ),
        (
            2,
            r"\b(still|been) waiting\b|\btrack(ing)? (number|link|info\w*|my)\b"
            r"|\b(status of|update on|news on) (my |the )?(order|parcel|package|shipping|delivery)"
            r"|\border status\b|\b(on its way|shipped yet|been dispatched)\b",
        ),
        (
            2,
            r"\bwhen (will|can|does|do|should) (i|we|it|my|the|you)\b.{0,40}"
            r"\b(arrive|receive|ship|dispatch|get|deliver|expect)",
        ),
        (1, r"\b(late|delay(ed)?|overdue|lost|stuck|shipping)\b"),
    ),
    "refund": (
        (3, r"\brefund\w*|\breimburs\w*|\bmoney back\b|\bcharged (me )?twice\b|\bdouble charged"),
    ),
    "return": (
        (2, r"\breturns?\b|\bsend (\w+ ){1,2}back\b|\brma\b"),
        (
            3,
            r"\b(want|like|need|how (do|can) i|can i|could i) (to )?(return|send (\w+ ){0,2}back)"
            r"|\breturn (label|form|policy|address|window)",
        ),
    ),
    "cancel": (
        (3, r"\bcancel\w*|\bdon'?t (want|need) (it|the order|this order|them) any ?more\b"),
        (1, r"\bchanged my mind\b|\bno longer (need|want)\b"),
    ),
    "address": (
        (
            3,
            r"\b(change|update|correct|edit|fix) (my|the)( shipping| delivery| postal)? address"
            r"|\b(wrong|old|new|different|incorrect|work) (shipping |delivery )?address\b"
            r"|\bi (have )?moved\b|\bship (it )?to\b",
        ),
        (2, r"\bleave (it|the \w+) (with|at|in|behind|by)\b"),
        (1, r"\baddress\b"),
    ),
    "damaged": (
        (
            3,
            r"\b(damaged|broken|crack(ed|s)?|smashed|shattered|defective|faulty|dented|leaking"
            r"|scratch(ed|es)?|chipped|torn|crushed|snapped|stopped working|dead on arrival"
            r"|won'?t (turn|switch) on)\b",
        ),
        (1.5, r"\b(doesn'?t|does not|isn'?t|not) work(ing)?\b"),
    ),
    "exchange": (
        (
            3,
            r"\bexchange\w*|\bswap\w*|\b(different|another|bigger|smaller|larger) (size|colou?r)"
            r"|\b(a|the) (small|medium|large|xs|xl|size \w+) instead\b",
        ),
        (
            2,
            r"\btoo (small|big|large|tight|loose|short|long)\b|\b(doesn'?t|does not|didn'?t) fit\b"
            r"|\bsize (up|down)\b|\b(bit|little|too) tight\b",
        ),
    ),
    "stock": (
        (
            3,
            r"\b(back|again) in stock\b|\bout of stock\b|\brestock\w*|\bsold out\b"
            r"|\b(available|in stock) again\b|\bwhen will .{0,30}\b(available|in stock)\b",
        ),
        (2, r"\bin stock\b|\bavailab(le|ility) in\b|\bdo you (have|stock) (it|this|the|them)\b"),
    ),
    "discount": (
        (3, r"\b(discount|promo|coupon|voucher|gift card|referral code)\b|\bprice match\w*"),
        (2, r"\b(sale|cyber monday|cheaper|price drop|% off)\b"),
    ),
    "product": (
        (
            2,
            r"\b(what|which) size\b|\bsize (guide|chart)\b|\bdimensions?\b|\bmeasurements?\b"
            r"|\bmaterials?\b|\bmade of\b|\bwaterproof\b|\bcompatible\b|\bwarranty\b"
            r"|\bhow (do|should|can) i (use|wash|clean|assemble|install|charge|set)"
            r"|\bcare instructions\b|\bbattery( life)?\b|\bdishwasher\b|\bmachine wash"
            r"|\bhow (much|heavy) does it weigh|\bweigh\b",
        ),
        (1, r"^(is|are|does|do|will|would) (it|this|they|the|these|your)\b"),
    ),
    "complaint": (
        (
            2,
            r"\bwrong (item|product|size|colou?r|order|one)\b|\bnot what i ordered\b"
            r"|\b(is|are|was|were|items?|pieces?|parts?|still) missing\b|\bmissing (item|part|piece)",
        ),
        (
            2,
            r"\bcomplain\w*|\bdisappoint\w*|\bunacceptable\b|\bpoor (quality|service)"
            r"|\bterrible (quality|service)|\bno (one|body) (answers|replies|responds)"
            r"|\b(no|zero|without) (reply|response|answer)\b|\brude\b|\bquality\b",
        ),
    ),
    "thanks": (
        (1, r"\bthanks?\b|\bthank you\b|\bcheers\b|\bmuch appreciated\b|\bappreciate\b"),
        (
            2,
            r"\b(it|they|parcel|package|order|everything) (has |have )?(finally )?(arrived|came)"
            r"( today| yesterday| safely| this morning)|\b(all )?(sorted|solved|resolved)\b"
            r"|\ball good( now)?\b|\bworks (now|again|perfectly)\b"
            r"|\b(refund|replacement|parcel|package|it|order) (was |has been )?received\b"
            r"|^(got|received) (it|the \w+)\b",
        ),
    ),
}

DE: Cues = {
    "wismo": (
        (
            3,
            r"\bwo (ist|bleibt|sind) (meine?|unsere?|die|das|der)\b.{0,20}(bestellung|paket"
            r"|sendung|lieferung|ware)",
        ),
        (
            3,
            r"\b(noch )?(nicht|nie|immer noch nicht) (angekommen|eingetroffen|geliefert|erhalten"
            r"|zugestellt|da|bekommen|verschickt|versendet)\b|\bnichts (angekommen|erhalten|bekommen)",
        ),
        (
            2,
            r"sendungsverfolgung|sendungsnummer|trackingnummer|lieferstatus"
            r"|\bwarte\w*\b.{0,25}\b(seit|auf|schon|immer noch|noch immer)\b"
            r"|\bwann (kommt|wird|kann ich|erhalte)\b|\b(schon|bereits) (unterwegs|verschickt"
            r"|versendet|raus)\b",
        ),
        (1, r"\b(verspatung|verspatet|verzogert|lieferzeit|versandbestatigung|zugestellt)\b"),
    ),
    "refund": (
        (3, r"\b(ruck)?erstatt\w*|\bgeld zuruck\b|\bgutschrift\b|\bdoppelt (abgebucht|belastet)"),
        (2, r"\b(mein|das|kein) geld\b"),
    ),
    "return": (
        (
            2,
            r"\bzuruck(senden|schicken|geben)\b|\bretour(e|en|nieren)\b|\brucksend\w*"
            r"|\bwiderruf\w*",
        ),
        (
            3,
            r"\b(mochte|will|wurde|kann ich|konnen)\b.{0,30}\b(zuruck(senden|schicken|geben)"
            r"|retournieren)\b",
        ),
    ),
    "cancel": (
        (3, r"\bstorn\w*|\babbestell\w*|\bbestellung zuruck(ziehen|nehmen)"),
        (1, r"\bnicht mehr (haben|brauche|benotige)\b|\bmochte .{0,20} nicht mehr\b"),
    ),
    "address": (
        (
            3,
            r"adresse (andern|anpassen|korrigieren|aktualisieren|ist falsch)"
            r"|\b(falsche|neue|alte) (liefer)?adresse|\bumgezogen\b|\bhausnummer\b",
        ),
        (2, r"adresse\b.{0,30}\b(liefern|schicken|senden)\b"),
        (1, r"adresse\b"),
    ),
    "damaged": (
        (
            3,
            r"\bbeschadigt|\bkaputt|\bdefekt|\bzerbrochen|\bgerissen\b|\bzerkratzt|\bkratzer\b"
            r"|\beingedruckt|\bgebrochen|\bausgelaufen|\bgesprungen",
        ),
        (1.5, r"\bfunktioniert (nicht|nicht mehr)\b|\bschaltet sich nicht"),
    ),
    "exchange": (
        (
            3,
            r"\bumtausch\w*|\b(um)?tauschen\b|\bandere (grosse|farbe)|\b(grossere|kleinere) grosse",
        ),
        (2, r"\bzu (klein|gross|eng|weit|kurz|lang)\b|\bpasst (nicht|leider nicht)\b"),
        (1, r"\bstatt\b|\bgleiche grosse\b"),
    ),
    "stock": (
        (
            3,
            r"\bwieder (verfugbar|lieferbar|auf lager|vorratig|da)\b|\bausverkauft\b"
            r"|\bnicht (mehr )?(verfugbar|lieferbar|auf lager)\b|\bnachschub|\b(nochmal|wieder) rein\b"
            r"|\bserie eingestellt|\bhabt ihr .{0,30}\b(in grosse|in farbe|noch)\b",
        ),
        (2, r"\bauf lager\b|\bvorratig\b|\bverfugbar\b|\blieferbar\b"),
    ),
    "discount": (
        (3, r"rabatt|gutschein|\baktionscode|\bpromo ?code"),
        (2, r"\b(sale|angebot|preisnachlass|gunstiger)\b"),
    ),
    "product": (
        (
            2,
            r"\bwelche grosse\b|\bgrossentabelle|\bmasse\b|\babmessung|\bmaterial\b|\bwasserdicht"
            r"|\bkompatibel|\bgarantie\b|\bwie (wasche|reinige|benutze|bedien|montier|pflege)"
            r"|\bspulmaschine|\bakku\b|\bpflegehinweis|\bwaschmaschine|\bwie schwer\b",
        ),
    ),
    "complaint": (
        (
            2,
            r"\bfalsche[nrs]? (artikel|ware|grosse|farbe|produkt)|\bnicht (das|was) ich bestellt"
            r"|\bfehlt\b|\bfehlen\b|\bbeschwerde|\benttauscht|\bunverschamt|\bqualitat"
            r"|\bkeine (antwort|reaktion)|\binakzeptabel|\bbestellt habe ich\b|\bgeliefert wurde\b",
        ),
    ),
    "thanks": (
        (1, r"\bdanke\b|\bvielen dank\b|\bdankeschon\b"),
        (
            2,
            r"\bist (heute |gestern |endlich )?(angekommen|eingetroffen|da)\b|\bhat (sich )?"
            r"(alles )?(geklappt|erledigt)|\balles (gut|bestens|in ordnung)\b",
        ),
    ),
}

NL: Cues = {
    "wismo": (
        (3, r"\bwaar (is|blijft) (mijn|de|het|ons)\b.{0,20}(bestelling|pakket|zending|levering)"),
        (
            3,
            r"\b(nog )?(niet|nooit) (ontvangen|aangekomen|geleverd|bezorgd|verzonden)\b"
            r"|\bniets (ontvangen|gekregen)",
        ),
        (2, r"\bwanneer (komt|wordt|ontvang|krijg)|\bwacht\w* (al|nog)|\bverzendmail"),
        (1, r"\b(vertraging|vertraagd|levertijd)\b"),
    ),
    "refund": (
        (3, r"\bterugbetal\w*|\bgeld terug\b|\bterugstort\w*|\brestitutie\b|\bterug ?gestort"),
        (2, r"\bmijn geld\b"),
    ),
    "return": (
        (2, r"\bretour(neren)?\b|\bterugsturen\b|\bretourlabel\b"),
        (3, r"\b(wil|mag|kan) (ik )?.{0,20}\b(retourneren|terugsturen)\b"),
    ),
    "cancel": ((3, r"\bannul\w*"),),
    "address": (
        (
            3,
            r"\badres (wijzigen|aanpassen|veranderen|is verkeerd)|\b(verkeerde?|nieuwe?) "
            r"(aflever)?adres|\bverhuisd\b|\bhuisnummer\b|\badres\b.{0,40}\bwijzigen\b",
        ),
        (1, r"\b(aflever)?adres\b"),
    ),
    "damaged": (
        (3, r"\bbeschadigd|\bkapot\b|\bdefect\b|\bgebroken\b|\bgescheurd|\bgebarsten|\bdeuk"),
        (1.5, r"\bwerkt niet"),
    ),
    "exchange": (
        (3, r"\b(om)?ruil\w*|\bandere (maat|kleur)|\bmaat (groter|kleiner)"),
        (2, r"\bte (klein|groot|krap|kort|lang)\b|\bpast (niet|helaas niet)\b"),
        (1, r"\bzelfde maat\b"),
    ),
    "stock": (
        (
            3,
            r"\buitverkocht\b|\bweer (leverbaar|op voorraad|beschikbaar)|\bniet (meer )?op voorraad",
        ),
        (
            2,
            r"\bop voorraad\b|\bleverbaar\b|\bbeschikbaar in\b|\bhebben jullie .{0,30}\bin (maat|xl"
            r"|xs|s|m|l)\b",
        ),
    ),
    "discount": (
        (3, r"korting|\bactiecode|\bcadeaubon|\bcadeaukaart"),
        (2, r"\buitverkoop\b|\baanbieding\b|\bgoedkoper\b"),
    ),
    "product": (
        (
            2,
            r"\bwelke maat\b|\bmaattabel\b|\bafmeting|\bmateriaal\b|\bwaterdicht\b|\bgeschikt voor"
            r"|\bgarantie\b|\bhoe (was|gebruik|reinig|monteer)|\bvaatwasser\b|\bbatterij\b"
            r"|\bhoeveel weegt\b|\braden jullie",
        ),
    ),
    "complaint": (
        (
            2,
            r"\bverkeerde? (artikel|product|maat|kleur)|\bniet wat ik (heb )?besteld|\bontbreekt"
            r"|\bklacht|\bteleurgesteld|\bonacceptabel|\bkwaliteit\b|\bwaardeloos"
            r"|\b(geen|zonder) (antwoord|reactie)",
        ),
    ),
    "thanks": (
        (1, r"\bbedankt\b|\bdank (je|u) ?(wel)?\b"),
        (
            2,
            r"\bis (vandaag |gisteren |eindelijk )?(aangekomen|binnen|bezorgd)|\balles (goed|in orde"
            r"|opgelost)|\bopgelost\b|\bontvangen, alles\b",
        ),
    ),
}
