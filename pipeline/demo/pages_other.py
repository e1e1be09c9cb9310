"""Text for the demo crawl's pages that are not English articles (``pipeline.demo``).

Plain constants, no code: sentence banks, titles, navigation and bylines for the German, French,
Spanish and Italian sites and the Shift_JIS Japanese blog (written for the demo, not translated from
the web), and the junk the pipeline should drop: spam products and domains, lorem ipsum words,
one-line placeholder pages, and "enable JavaScript" / cookie / policy boilerplate.

Editing anything here changes the generated demo files: regenerate them with ``make demo-data``.
"""

from __future__ import annotations

# --------------------------------------------------------------------------
# Other languages (own sentences)
# --------------------------------------------------------------------------

FOREIGN = {
    "de": dict(
        sentences=[
            "Im Frühling beginnt für viele Gärtner die schönste Zeit des Jahres.",
            "Die meisten Gemüsesorten brauchen einen sonnigen Platz und regelmäßig Wasser.",
            "Wer zum ersten Mal ein Beet anlegt, sollte mit wenigen Pflanzen anfangen.",
            "Unsere Nachbarin hat uns gezeigt, wie man aus Küchenabfällen guten Kompost macht.",
            "Am Wochenende sind wir mit dem Zug an den See gefahren und haben dort eine lange Wanderung gemacht.",
            "Die Verbindung war pünktlich, und die Fahrt durch die Berge war wunderschön.",
            "In der Stadt wird seit Monaten über neue Radwege diskutiert.",
            "Viele Eltern wünschen sich sichere Wege für ihre Kinder, die mit dem Fahrrad zur Schule fahren.",
            "Für dieses Rezept braucht man nur Kartoffeln, Zwiebeln, etwas Butter und frische Kräuter.",
            "Das Brot wird am besten am Vortag gebacken, damit der Teig über Nacht ruhen kann.",
            "Nach dem Essen haben wir noch lange zusammengesessen und über die Ferien gesprochen.",
            "Es ist nicht immer einfach, Arbeit und Familie unter einen Hut zu bringen.",
            "Der Wetterdienst rechnet in der kommenden Woche mit starkem Regen und kräftigem Wind.",
            "Die Bibliothek hat ihre Öffnungszeiten verlängert und bietet jetzt auch Kurse für Senioren an.",
            "Wir freuen uns über jeden Kommentar und beantworten gerne eure Fragen.",
            "Ich habe lange überlegt, ob sich die Anschaffung wirklich lohnt.",
            "Am Ende war die einfache Lösung auch die beste.",
            "Viele Leserinnen und Leser haben uns geschrieben, dass sie diese Methode ebenfalls ausprobiert haben.",
            "Im nächsten Beitrag erklären wir, worauf man beim Kauf achten sollte.",
            "Die Preise für Lebensmittel sind im letzten Jahr deutlich gestiegen.",
        ],
        titles=["Zehn Tipps für den eigenen Gemüsegarten", "Mit dem Zug durch die Alpen",
                "Warum unsere Stadt mehr Radwege braucht", "Ein einfaches Kartoffelgericht für kalte Tage",
                "Was wir in diesem Jahr gelernt haben"],
        nav=["Startseite", "Über uns", "Rezepte", "Reisen", "Kontakt"],
        footer="Alle Rechte vorbehalten. Impressum und Datenschutz.",
        byline="Veröffentlicht am {date} von {author}",
        domains=["www.gartenundzeit.example.com", "blog.stadtleben-nord.example.org"],
    ),
    "fr": dict(
        sentences=[
            "Au printemps, le jardin reprend vie et les premières fleurs apparaissent le long des allées.",
            "La plupart des légumes ont besoin de soleil et d'un arrosage régulier.",
            "Si vous débutez, il vaut mieux commencer avec quelques plantes faciles à cultiver.",
            "Notre voisine nous a appris à faire du compost avec les épluchures de la cuisine.",
            "Le week-end dernier, nous avons pris le train pour passer deux jours au bord de la mer.",
            "Le trajet était agréable et les paysages de la côte étaient magnifiques.",
            "Depuis plusieurs mois, la mairie discute de la création de nouvelles pistes cyclables.",
            "Beaucoup de parents souhaitent que leurs enfants puissent aller à l'école à vélo en toute sécurité.",
            "Pour cette recette, il suffit de quelques pommes de terre, d'un oignon, d'un peu de beurre et "
            "d'herbes fraîches.",
            "Le pain est encore meilleur lorsqu'on laisse reposer la pâte toute la nuit.",
            "Après le repas, nous sommes restés longtemps à table pour parler des vacances.",
            "Il n'est pas toujours facile de concilier le travail et la vie de famille.",
            "Les services météo annoncent de fortes pluies et beaucoup de vent pour la semaine prochaine.",
            "La bibliothèque a élargi ses horaires et propose désormais des ateliers pour les seniors.",
            "Nous lisons tous vos commentaires et nous répondons volontiers à vos questions.",
            "J'ai longtemps hésité avant de faire cet achat.",
            "Au final, la solution la plus simple était aussi la meilleure.",
            "De nombreux lecteurs nous ont écrit qu'ils avaient essayé cette méthode chez eux.",
            "Dans le prochain article, nous verrons ce qu'il faut vérifier avant d'acheter.",
            "Les prix de l'alimentation ont nettement augmenté au cours de l'année dernière.",
        ],
        titles=["Dix conseils pour réussir son potager", "Un week-end en train au bord de la mer",
                "Pourquoi notre ville a besoin de pistes cyclables", "Une recette simple pour les soirs d'hiver",
                "Ce que nous avons appris cette année"],
        nav=["Accueil", "À propos", "Recettes", "Voyages", "Contact"],
        footer="Tous droits réservés. Mentions légales et confidentialité.",
        byline="Publié le {date} par {author}",
        domains=["www.potager-et-cuisine.example.com", "blog.lavieenville.example.org"],
    ),
    "es": dict(
        sentences=[
            "En primavera, el huerto vuelve a llenarse de vida y aparecen las primeras flores.",
            "La mayoría de las hortalizas necesitan sol y un riego regular.",
            "Si es la primera vez que cultivas, es mejor empezar con pocas plantas y fáciles de cuidar.",
            "Nuestra vecina nos enseñó a hacer compost con los restos de la cocina.",
            "El fin de semana pasado tomamos el tren para pasar dos días en la costa.",
            "El viaje fue muy agradable y el paisaje junto al mar era precioso.",
            "Desde hace meses, el ayuntamiento debate la construcción de nuevos carriles para bicicletas.",
            "Muchos padres quieren que sus hijos puedan ir al colegio en bicicleta de forma segura.",
            "Para esta receta solo necesitas unas patatas, una cebolla, un poco de aceite de oliva y hierbas frescas.",
            "El pan sale mucho mejor si dejas reposar la masa durante toda la noche.",
            "Después de la comida nos quedamos un buen rato en la mesa hablando de las vacaciones.",
            "No siempre es fácil compaginar el trabajo con la vida familiar.",
            "Los meteorólogos anuncian lluvias intensas y viento fuerte para la próxima semana.",
            "La biblioteca ha ampliado su horario y ahora ofrece talleres para personas mayores.",
            "Leemos todos vuestros comentarios y respondemos con gusto a vuestras preguntas.",
            "Estuve mucho tiempo dudando si la compra merecía la pena.",
            "Al final, la solución más sencilla también fue la mejor.",
            "Muchos lectores nos han escrito para contarnos que también han probado este método.",
            "En el próximo artículo explicaremos qué hay que tener en cuenta antes de comprar.",
            "Los precios de los alimentos han subido bastante durante el último año.",
        ],
        titles=["Diez consejos para tu primer huerto", "Un fin de semana en tren junto al mar",
                "Por qué nuestra ciudad necesita más carriles bici", "Una receta sencilla para las noches de invierno",
                "Lo que hemos aprendido este año"],
        nav=["Inicio", "Quiénes somos", "Recetas", "Viajes", "Contacto"],
        footer="Todos los derechos reservados. Aviso legal y privacidad.",
        byline="Publicado el {date} por {author}",
        domains=["www.huertoycocina.example.com", "blog.vidaenlaciudad.example.org"],
    ),
    "it": dict(
        sentences=[
            "In primavera l'orto torna a riempirsi di vita e compaiono i primi fiori.",
            "La maggior parte delle verdure ha bisogno di sole e di acqua con regolarità.",
            "Se è la prima volta che coltivate qualcosa, conviene iniziare con poche piante facili.",
            "La nostra vicina ci ha insegnato a fare il compost con gli scarti della cucina.",
            "Lo scorso fine settimana abbiamo preso il treno per passare due giorni al mare.",
            "Il viaggio è stato piacevole e il paesaggio lungo la costa era splendido.",
            "Da mesi il comune discute della costruzione di nuove piste ciclabili.",
            "Molti genitori vorrebbero che i loro figli potessero andare a scuola in bicicletta senza pericoli.",
            "Per questa ricetta servono soltanto alcune patate, una cipolla, un filo d'olio e qualche erba aromatica.",
            "Il pane viene molto meglio se si lascia riposare l'impasto per tutta la notte.",
            "Dopo pranzo siamo rimasti a lungo a tavola a parlare delle vacanze.",
            "Non è sempre facile conciliare il lavoro con la vita di famiglia.",
            "Le previsioni annunciano piogge intense e vento forte per la prossima settimana.",
            "La biblioteca ha ampliato l'orario di apertura e ora offre anche corsi per gli anziani.",
            "Leggiamo tutti i vostri commenti e rispondiamo volentieri alle vostre domande.",
            "Ci ho pensato a lungo prima di decidere se l'acquisto valesse davvero la pena.",
            "Alla fine la soluzione più semplice si è rivelata anche la migliore.",
            "Molti lettori ci hanno scritto che anche loro hanno provato questo metodo.",
            "Nel prossimo articolo spiegheremo a cosa bisogna fare attenzione prima di comprare.",
            "I prezzi degli alimenti sono aumentati parecchio nel corso dell'ultimo anno.",
        ],
        titles=["Dieci consigli per il tuo primo orto", "Un fine settimana in treno al mare",
                "Perché la nostra città ha bisogno di piste ciclabili", "Una ricetta semplice per le sere d'inverno",
                "Cosa abbiamo imparato quest'anno"],
        nav=["Home", "Chi siamo", "Ricette", "Viaggi", "Contatti"],
        footer="Tutti i diritti riservati. Note legali e privacy.",
        byline="Pubblicato il {date} da {author}",
        domains=["www.ortoecucina.example.com", "blog.vitaincitta.example.org"],
    ),
}

JAPANESE = dict(
    sentences=[
        "今年の春は例年よりも暖かく、桜の開花も早くなりました。",
        "週末に電車で海の近くの町へ行き、古い商店街を歩きました。",
        "地元の市場では、新鮮な野菜や魚が手頃な値段で売られています。",
        "最近、自宅でパンを焼くことが楽しみになっています。",
        "図書館では子ども向けの読み聞かせ会が毎月開かれています。",
        "天気予報によると、来週は雨の日が続くそうです。",
        "初めての方でも分かりやすいように、手順を写真付きで紹介します。",
        "ご質問やご感想があれば、お気軽にコメント欄に書いてください。",
    ],
    titles=["週末の小さな旅", "はじめての手作りパン"],
    nav=["ホーム", "プロフィール", "お問い合わせ"],
    domain="www.shizukanahibi.example.com",
)

# --------------------------------------------------------------------------
# Spam, placeholder and boilerplate text
# --------------------------------------------------------------------------

SPAM_PRODUCTS = ["cheap flights", "payday loans", "car insurance quotes", "wireless earbuds",
                 "casino bonus codes", "seo backlinks", "weight loss tea", "essay writing service",
                 "designer handbags", "crypto trading bot", "replica watches", "phone unlock codes"]
SPAM_DOMAINS = ["www.best-deals-online-cheap.example.net", "top10-discount-store.example.com",
                "buy-now-save-big.example.org"]
LOREM_WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
               "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud "
               "exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure "
               "in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint "
               "occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est "
               "laborum").split()
SHORT_LINES = ["Coming soon.", "This page is under construction. Please check back later!",
               "Thanks for subscribing!", "Your basket is empty.", "Sign in to continue.",
               "Nothing to see here yet.", "Page moved. See our home page.", "Event cancelled."]
BOILERPLATE_LINES = [
    "JavaScript must be enabled in your browser to view this page.",
    "Please enable JavaScript and cookies to continue.",
    "This site uses cookies to improve your experience. By continuing to browse you agree to our use of cookies.",
    "Read our Privacy Policy and Cookie Policy for more information.",
    "By using this website you accept our Terms of Use.",
    "Your browser does not support JavaScript or it is turned off.",
    "We use cookies to personalise content and ads. Manage your preferences in the Cookie Policy.",
    "Please update your browser or enable JavaScript to use all features of this site.",
]
