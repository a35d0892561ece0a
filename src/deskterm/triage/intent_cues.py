"""The cue phrases of each intent, per language, as regular expressions over folded text (lower
case, no accents: `rückerstattung` is written `ruckerstattung`).

Weights: 3 for a phrase that alone says the intent, 2 for a telling word, 1 for a hint. What a
customer says they already did ("I sent it back") is context, not a request, and is left out.
"""

from __future__ import annotations

Cues = dict[str, tuple[tuple[float, str], ...]]

# Shop words customers use in any language.
SHARED: Cues = {
    "wismo": ((2, r"\btracking\w*|\btrack ?(&|and|en) ?trace\b"),),
    "discount": ((3, r"\b(promo|discount|coupon|voucher) ?codes?\b|\bblack friday\b"),),
}

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

FR: Cues = {
    "wismo": (
        (3, r"\bou (est|sont|en est) (ma|mon|mes|la|le)\b.{0,20}(commande|colis|livraison|envoi)"),
        (
            3,
            r"\b(toujours|pas encore|jamais) (pas )?(recu|arrive|livre)e?s?\b"
            r"|\bn'(ai|est|avons) (toujours |jamais )?(pas |rien )?(encore )?(recu|arrive|livre)"
            r"|\b(marque|indique) comme livre",
        ),
        (
            2,
            r"\bsuivi\b|\bquand (vais|va|est-ce|sera|arrive|recevr)|\bj'attends\b"
            r"|\btoujours (rien|pas de (mail|nouvelles))\b|\best partie\b",
        ),
        (1, r"\b(retard|expedie\w*|expedition)\b"),
    ),
    "refund": ((3, r"\brembours\w*|\bdebite deux fois\b|\brecuperer mon argent"),),
    "return": (
        (2, r"\bretour\b|\bretourner\b|\brenvoyer\b|etiquette de retour"),
        (
            3,
            r"\b(voudrais|veux|souhaite|aimerais|puis-je|peux)\b.{0,20}\b(retourner|renvoyer)\b"
            r"|\bpolitique de retour",
        ),
    ),
    "cancel": ((3, r"\bannul\w*"),),
    "address": (
        (
            3,
            r"\b(changer|modifier|corriger) (l'|mon |d')?adresse|\b(mauvaise|nouvelle) adresse"
            r"|\bdemenage|\btrompe\w* d'adresse|\blivrer a\b",
        ),
        (1, r"\badresse\b"),
    ),
    "damaged": (
        (
            3,
            r"\bendommage|\babime|\bcasse(e|s)?\b|\bdefectueu|\bdechire|\brayure|\braye(e|s)?\b"
            r"|\bfele\w*|\bebrech\w*|\becrase",
        ),
        (1.5, r"\bne (fonctionne|marche) (pas|plus)"),
    ),
    "exchange": (
        (
            3,
            r"\bechang\w*|\bune autre (taille|couleur)|\b(taille|pointure) (au-dessus|en dessous"
            r"|plus (grande|petite))",
        ),
        (
            2,
            r"\btrop (petit|grand|serre|large|court|long)e?s?\b|\bne me va pas\b|\bau lieu d[eu]\b"
            r"|\bserre\w*",
        ),
        (1, r"\bmeme taille\b|\bpointure\b"),
    ),
    "stock": (
        (
            3,
            r"\bde nouveau disponible|\ben rupture\b|\bepuise\w*|\breassort|\b(revenir|retour) en stock",
        ),
        (
            2,
            r"\ben stock\b|\bdisponible en\b|\bsera disponible\b|\bavez-vous .{0,30}\ben (taille|xl"
            r"|xs|s|m|l)\b",
        ),
    ),
    "discount": (
        (
            3,
            r"\bcode (promo|de reduction|reduc)|\bbon de reduction|\breduction\b|\bremise\b"
            r"|\bcoupon\b|\bcarte cadeau\b",
        ),
        (2, r"\bsoldes\b|\bmoins cher\b|\bpromotion\b"),
    ),
    "product": (
        (
            2,
            r"\bquelle taille\b|\bguide des tailles\b|\bdimension|\bmatiere\b|\betanche\b"
            r"|\bcompatible\b|\bgarantie\b|\bcomment (laver|utiliser|nettoyer|entretenir|monter)"
            r"|\blave-vaisselle\b|\bbatterie\b|\bconseillez|\bpoids\b",
        ),
    ),
    "complaint": (
        (
            2,
            r"\bmauvais (article|produit|modele)|\bpas ce que j'ai commande|\bil manque\b|\bmanquant"
            r"|\breclamation|\bdecu(e|s)?\b|\binacceptable\b|\bqualite\b|\b(aucune|pas de|sans)"
            r" reponse|\bune honte\b",
        ),
    ),
    "thanks": (
        (1, r"\bmerci\b"),
        (
            2,
            r"\b(bien|est) (arrive|recu)e?s?\b|\bc'est (regle|bon|parfait)\b|\btout est (bon|ok"
            r"|parfait)|\bbien recu\b",
        ),
    ),
}

ES: Cues = {
    "wismo": (
        (3, r"\bdonde (esta|estan|anda) (mi|mis|el|la|nuestro)\b.{0,20}(pedido|paquete|envio)"),
        (
            3,
            r"\b(no|aun no|todavia no|nunca) (me )?(ha|han|he) (llegado|recibido|sido entregad\w+)"
            r"|\bno (me )?llego\b|\bsin (recibir|llegar)\b|\bsigue sin llegar|\bmarco como entregado",
        ),
        (
            2,
            r"\bseguimiento\b|\bcuando (llega|llegara|recibire|lo recibo|me llega|enviar)"
            r"|\bsigo esperando\b|\bllevo .{0,20}esperando\b|\bya (enviaron|han enviado|salio)\b",
        ),
        (1, r"\b(retraso|retrasad\w+|demora)\b"),
    ),
    "refund": (
        (
            3,
            r"\breembols\w*|\bdevolver (el|mi) dinero\b|\bdinero de vuelta\b|\bcobrado dos veces\b",
        ),
    ),
    "return": (
        (2, r"\bdevol(ver|verlo|verla|verlos|verlas|ucion|uciones)\b|\betiqueta de devolucion\b"),
        (3, r"\b(quiero|quisiera|me gustaria|puedo|podria)\b.{0,20}\bdevolver\w*"),
    ),
    "cancel": ((3, r"\bcancel\w*|\banul(ar|acion|en|e)\b"),),
    "address": (
        (
            3,
            r"\b(cambiar|modificar|corregir) (la |mi )?direccion|\bdireccion (incorrecta|equivocada"
            r"|nueva)|\bnueva direccion|\bme he mudado\b|\bpuse mal\b|\benvien\w* a\b",
        ),
        (1, r"\bdireccion\b"),
    ),
    "damaged": (
        (
            3,
            r"\bdanad[oa]s?\b|\broto\b|\brota\b|\brotos\b|\brotas\b|\bdefectuos|\brayad|\bestropead"
            r"|\bquebrad|\brajad|\baplastad",
        ),
        (1.5, r"\bno funciona"),
    ),
    "exchange": (
        (
            3,
            r"\bcambi\w* .{0,30}\bpor (el|la|los|las|uno|una|otr)\w*|\botra talla|\bcambio de talla"
            r"|\btalla (mas grande|mas pequena)|\bun numero (mas|menos)\b",
        ),
        (
            2,
            r"\bme (queda|quedan|va|van) .{0,12}(pequen|grande|corto|largo|estrech|just)"
            r"|\bdemasiado (pequen|grande)",
        ),
        (1, r"\bmisma talla\b"),
    ),
    "stock": (
        (
            3,
            r"\bagotad\w*|\bvuelv\w+ a estar disponible|\bdisponible de nuevo|\breponer\w*"
            r"|\breposicion\b|\bsin stock\b",
        ),
        (2, r"\ben stock\b|\bexistencias\b|\bdisponible en\b|\btienen .{0,30}\ben (talla|color)"),
    ),
    "discount": (
        (3, r"\bdescuento\w*|\bcupon\b|\bcodigo promocional|\btarjeta regalo"),
        (2, r"\brebajas\b|\boferta\b|\bmas barato\b|\bpromocion\b"),
    ),
    "product": (
        (
            2,
            r"\bque talla\b|\bguia de tallas\b|\bmedidas\b|\bmaterial\b|\bimpermeable\b"
            r"|\bcompatible\b|\bgarantia\b|\bcomo (se lava|lavar|usar|limpiar|montar)"
            r"|\blavavajillas\b|\bbateria\b|\bcuanto pesa\b|\brecomiendan\b|\blavar a maquina",
        ),
    ),
    "complaint": (
        (
            2,
            r"\b(articulo|producto) (equivocado|incorrecto)|\bno es lo que (pedi|he pedido)"
            r"|\bfalta(n)?\b|\breclamacion|\bqueja|\bdecepcionad|\binaceptable|\bcalidad\b"
            r"|\bsin respuesta|\bnadie (responde|contesta)|\bvergonzos",
        ),
    ),
    "thanks": (
        (1, r"\bgracias\b"),
        (
            2,
            r"(?<!no )(?<!no me )\b(ya )?(ha llegado|llego|lo he recibido|lo recibi|recibi el)\b"
            r"|\btodo (bien|perfecto|correcto|solucionado)|\bsolucionado\b",
        ),
    ),
}

IT: Cues = {
    "wismo": (
        (
            3,
            r"\bdove (e|sono|si trova) (il|la|i|le|mio|mia)\b.{0,20}(ordine|pacco|spedizione)"
            r"|\bdov'e\b",
        ),
        (
            3,
            r"\bnon (e|sono|mi e|mi sono|ho) (ancora |mai )?(arrivat\w|ricevut\w|consegnat\w"
            r"|stat\w spedit\w)|\bnon ho ricevuto (niente|nulla)",
        ),
        (
            2,
            r"\btracciamento\b|\bquando (arriva|arrivera|ricevero|spedite|verra)"
            r"|\b(aspetto|attendo|aspettando)\b|\bgia (stato )?spedito\b|\bin viaggio\b",
        ),
        (1, r"\b(ritardo|spedizione)\b"),
    ),
    "refund": ((3, r"\brimbors\w*|\b(soldi|denaro) indietro\b|\baddebitato due volte\b"),),
    "return": (
        (2, r"\breso\b|\brendere\b|\brestituire\b|\brispedire\b|\betichetta di reso\b"),
        (3, r"\b(vorrei|voglio|posso|come)\b.{0,20}\b(restituire|rendere|fare il reso)"),
    ),
    "cancel": ((3, r"\bannull\w*|\bcancellare l'ordine|\bdisdi\w*"),),
    "address": (
        (
            3,
            r"\b(cambiare|modificare|correggere) (l'|il mio )?indirizzo|\bindirizzo (sbagliato"
            r"|errato|nuovo)|\bnuovo indirizzo|\btrasferit\w|\bcivico sbagliato",
        ),
        (1, r"\bindirizzo\b"),
    ),
    "damaged": (
        (
            3,
            r"\bdanneggiat|\brott[oaie]\b|\bdifettos|\brovinat|\bgraffi\w*|\bammaccat"
            r"|\bscheggiat|\bincrinat",
        ),
        (1.5, r"\bnon funziona"),
    ),
    "exchange": (
        (
            3,
            r"\bcambio (taglia|colore)|\bun'?altra taglia|\btaglia (piu grande|piu piccola)"
            r"|\bcambiar\w* .{0,30}\bcon (quell|un|una|la|il)\w*|\bnumero in piu\b",
        ),
        (
            2,
            r"\btroppo (piccol|grand|strett|larg|cort|lung)|\bnon mi (sta|va) bene\b"
            r"|\bsostitu\w*|\b(sono|e) (un po' )?(strett|piccol)\w*",
        ),
        (1, r"\bstessa taglia\b"),
    ),
    "stock": (
        (3, r"\besaurit\w*|\bdi nuovo disponibil|\btorn\w* disponibil|\brifornimento"),
        (2, r"\bdisponibil\w* (in|nella|nel)\b|\bin magazzino\b|\bavete .{0,30}\bin taglia\b"),
    ),
    "discount": (
        (3, r"\bscont\w*|\bcodice (promo|sconto)|\bbuono (sconto|regalo)|\bcoupon\b"),
        (2, r"\bsaldi\b|\bpromozion\w*|\bofferta\b|\bmeno caro\b"),
    ),
    "product": (
        (
            2,
            r"\bche taglia\b|\bguida (alle|delle) taglie\b|\bmisure\b|\bmateriale\b|\bimpermeabil"
            r"|\bcompatibil|\bgaranzia\b|\bcome (si lava|lavare|usare|pulire|montare)"
            r"|\blavastoviglie\b|\bbatteria\b|\bquanto pesa\b|\bconsigliate\b",
        ),
    ),
    "complaint": (
        (
            2,
            r"\b(articolo|prodotto) sbagliato|\bnon e quello che ho ordinato|\bmanca(no)?\b"
            r"|\breclamo\b|\blamentel|\bdelus[oia]|\binaccettabil|\bqualita\b"
            r"|\b(nessuna|senza) risposta|\bfa schifo\b",
        ),
    ),
    "thanks": (
        (1, r"\bgrazie\b"),
        (
            2,
            r"\b(e|sono) arrivat\w (oggi|ieri|finalmente)|\bl'ho ricevut|\btutto (ok|a posto|bene"
            r"|risolto)|\brisolto\b",
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

PT: Cues = {
    "wismo": (
        (
            3,
            r"\bonde (esta|estao) (a |o )?(minha|meu|meus|minhas)\b.{0,20}(encomenda|pedido|pacote)",
        ),
        (3, r"\bainda nao (recebi|chegou)\b|\bnao (recebi|chegou)\b|\bnunca recebi\b"),
        (2, r"\brastreio|rastreamento|\bquando (chega|vai chegar)"),
        (1, r"\batras\w+\b"),
    ),
    "refund": ((3, r"\breembolso\b|\bestorno\b|\bdinheiro de volta\b"),),
    "return": (
        (2, r"\bdevolu\w+|\bdevolver\b"),
        (3, r"\b(gostaria de|quero|posso)\b.{0,20}\bdevolver\b"),
    ),
    "cancel": ((3, r"\bcancel\w*"),),
    "address": ((3, r"\b(mudar|alterar) (o |meu )?endereco|\bendereco (errado|novo)"),),
    "damaged": ((3, r"\bdanificad|\bquebrad|\bpartid[oa]\b|\bdefeituos"), (1.5, r"\bnao funciona")),
    "exchange": ((3, r"\btroca\w*|\btrocar\b|\boutro tamanho|\btamanho maior"),),
    "stock": ((3, r"\besgotad\w*|\bem estoque\b|\bde novo disponivel"),),
    "discount": ((3, r"\bdesconto\w*|\bcupao\b|\bcodigo promocional"),),
    "product": ((2, r"\bque tamanho\b|\btabela de medidas\b|\bmaterial\b|\bimpermeavel\b"),),
    "complaint": ((2, r"\breclamacao|\bdecepcionad|\bpessim|\bqualidade\b"),),
    "thanks": ((1, r"\bobrigad[oa]\b"), (2, r"\bchegou hoje\b|\btudo (certo|bem|perfeito)")),
}

BY_LANGUAGE: dict[str, Cues] = {
    "en": EN,
    "de": DE,
    "fr": FR,
    "es": ES,
    "it": IT,
    "nl": NL,
    "pt": PT,
}
