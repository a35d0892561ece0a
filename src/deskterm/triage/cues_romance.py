"""Intent cues in French, Spanish, Italian and Portuguese (see intent_cues)."""

from __future__ import annotations

from deskterm.triage.cues_germanic import Cues

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
