"""A generated Polish shop: its customers' messages in words the stock cues do not know."""

from __future__ import annotations

import random

PHRASES: dict[str, tuple[str, ...]] = {
    "wismo": (
        "Gdzie jest moja paczka z zamówieniem {order}?",
        "Zamówienie {order} jeszcze do mnie nie dotarło.",
        "Kiedy dostanę przesyłkę? Czekam już tydzień.",
        "Paczka nadal nie doszła, a minęło już dziesięć dni.",
        "Czy moje zamówienie {order} zostało już wysłane?",
        "Nadal czekam na przesyłkę, {item} miał być u mnie w piątek.",
    ),
    "refund": (
        "Proszę o zwrot pieniędzy za zamówienie {order}.",
        "Kiedy otrzymam zwrot środków na konto?",
        "Pieniądze za {item} jeszcze nie wróciły na moje konto.",
        "Chciałabym odzyskać pieniądze za zamówienie {order}.",
        "Zwrot środków miał być w ciągu 14 dni, a nadal nic nie wpłynęło.",
    ),
    "cancel": (
        "Chcę anulować zamówienie {order}.",
        "Proszę o anulowanie mojego zamówienia, pomyliłem się.",
        "Rezygnuję z zamówienia {order}, proszę go nie wysyłać.",
        "Czy mogę jeszcze anulować zakup, {item} nie jest mi już potrzebny?",
        "Zmieniłam zdanie, proszę anulować zamówienie.",
    ),
    "damaged": (
        "{item} przyszedł uszkodzony.",
        "Niestety {item} jest pęknięty.",
        "Paczka dotarła zgnieciona, a {item} jest zniszczony.",
        "Po rozpakowaniu okazało się, że {item} jest porysowany i uszkodzony.",
        "{item} nie działa, jest wadliwy.",
    ),
    "address": (
        "Chcę zmienić adres dostawy dla zamówienia {order}.",
        "Podałem zły adres, proszę wysłać na ulicę Polną 5.",
        "Przeprowadziłam się, czy można zmienić adres wysyłki?",
        "W adresie jest błąd w numerze mieszkania, {item} trafi pod zły adres.",
    ),
    "exchange": (
        "Czy mogę wymienić {item} na inny kolor?",
        "Rozmiar jest za mały, chciałbym wymienić na większy.",
        "Proszę o wymianę na rozmiar M, {item} jest za ciasny.",
        "{item} jest za duży, czy jest możliwa wymiana?",
    ),
}
GREETINGS = ("Dzień dobry,", "Witam,", "Cześć,", "Szanowni Państwo,", "")
CLOSINGS = ("Pozdrawiam, {name}", "Z góry dziękuję.", "Proszę o szybką odpowiedź.", "{name}", "")
ITEMS = ("kubek", "plecak", "czajnik", "koc", "zegarek", "lampka")
NAMES = ("Anna", "Piotr", "Kasia", "Marek", "Ewa", "Tomasz")


def messages(count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (intent, text) pairs, the intents in turn."""
    rng = random.Random(seed)
    found = []
    for n in range(count):
        intent = tuple(PHRASES)[n % len(PHRASES)]
        words = {"order": f"#{rng.randrange(1000, 9999)}", "item": rng.choice(ITEMS)}
        ask = rng.choice(PHRASES[intent]).format(**words)
        ask = ask[0].upper() + ask[1:]
        close = rng.choice(CLOSINGS).format(name=rng.choice(NAMES))
        found.append((intent, "\n".join(filter(None, (rng.choice(GREETINGS), ask, close)))))
    return found
