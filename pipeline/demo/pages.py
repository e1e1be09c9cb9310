"""Text and site definitions for the English pages of the demo crawl (``pipeline.demo``).

Plain constants, no code: the word and sentence banks an article is assembled from (one bank per
topic, sentence templates with ``{n1}``/``{act}``/... slots, openers, names), the titles and reader
comments, the recipe cards, the eleven fictional sites (domain, layout, topics, URL pattern), their
stylesheet links, and the small quiz benchmark that three good pages quote for the decontamination
demo. All of it is written for the demo; nothing is copied from the web. Domains are under the
reserved ``example.com`` / ``example.org`` / ``example.net`` names.

Editing anything here changes the generated demo files: regenerate them with ``make demo-data``.
"""

from __future__ import annotations

# --------------------------------------------------------------------------
# Article word banks, one per topic
# --------------------------------------------------------------------------

TOPICS: dict[str, dict] = {
    "gardening": dict(
        title="Gardening",
        nouns=["raised beds", "compost", "tomato seedlings", "mulch", "heirloom seeds",
               "drip irrigation", "garden soil", "perennial herbs"],
        acts=["prune fruit trees", "start seeds indoors", "build a compost heap",
              "divide perennials", "plan a vegetable bed", "water a garden efficiently"],
        experts=["gardener", "horticulturist", "allotment holder"],
        places=["the allotment", "the back garden", "the greenhouse", "a community garden"],
        facts=["Tomatoes grown in containers need watering far more often than those planted in the ground.",
               "A thick layer of mulch keeps the soil cool and cuts down on weeding during the summer.",
               "Most vegetable seeds stay viable for several years if they are stored somewhere cool and dry."],
    ),
    "beekeeping": dict(
        title="Beekeeping",
        nouns=["hive frames", "beeswax foundation", "the smoker", "queen cells", "winter feed",
               "varroa treatments", "honey supers", "protective gloves"],
        acts=["inspect a hive", "harvest honey", "requeen a colony", "prepare hives for winter",
              "catch a swarm", "check for mites"],
        experts=["beekeeper", "bee inspector", "apiarist"],
        places=["the apiary", "the orchard", "the edge of the meadow", "the club's teaching apiary"],
        facts=["A strong colony can gather a surprising amount of nectar on a single warm afternoon.",
               "Bees are usually calmer on sunny days, when most of the foragers are away from the hive.",
               "Leaving enough honey in the hive is the simplest way to help a colony survive the winter."],
    ),
    "birdwatching": dict(
        title="Birdwatching",
        nouns=["binoculars", "field guides", "bird feeders", "nest boxes", "migration records",
               "spotting scopes", "sound recordings", "the garden bird survey"],
        acts=["identify warblers by song", "set up a feeding station", "keep a bird diary",
              "photograph waders", "count birds for a survey", "build a nest box"],
        experts=["ornithologist", "ranger", "birder"],
        places=["the estuary", "the reservoir", "the old woodland", "the nature reserve"],
        facts=["Early morning is usually the best time to hear birds singing in the spring.",
               "Many small birds return to the same feeding spots at almost the same time every day.",
               "A nest box facing away from the midday sun gives young birds a much better chance."],
    ),
    "cooking": dict(
        title="Home Cooking",
        nouns=["cast iron pans", "fresh herbs", "homemade stock", "sharp knives",
               "seasonal vegetables", "dried beans", "a good olive oil", "spice blends"],
        acts=["make stock from scratch", "sharpen a kitchen knife", "plan meals for the week",
              "cook dried beans", "season a cast iron pan", "roast vegetables evenly"],
        experts=["chef", "home cook", "food writer"],
        places=["the kitchen", "the farmers market", "a small restaurant kitchen", "the pantry"],
        facts=["Salting the water well is the easiest way to improve the flavour of boiled vegetables.",
               "A heavy pan holds its heat, which makes it much easier to brown meat without stewing it.",
               "Toasting whole spices for a minute before grinding them brings out a deeper aroma."],
    ),
    "baking": dict(
        title="Bread Baking",
        nouns=["sourdough starter", "bread flour", "proving baskets", "a kitchen scale",
               "unsalted butter", "rye flour", "baking stones", "pastry"],
        acts=["feed a sourdough starter", "shape a loaf", "laminate pastry dough",
              "bake bread at home", "measure flour by weight", "keep bread fresh"],
        experts=["baker", "pastry chef", "miller"],
        places=["the bakery", "the kitchen", "the village bakehouse", "a cold larder"],
        facts=["Dough rises more slowly in a cold kitchen, so timings in recipes are only a rough guide.",
               "Weighing ingredients rather than using cups makes a recipe far easier to repeat.",
               "A loaf should cool completely before slicing, or the crumb will turn gummy."],
    ),
    "cycling": dict(
        title="Cycling",
        nouns=["tubeless tyres", "disc brakes", "chain lubricant", "bike lights", "gravel routes",
               "saddle height", "panniers", "a puncture repair kit"],
        acts=["fix a puncture", "adjust the gears", "plan a long ride", "commute by bike in winter",
              "clean a drivetrain", "pack for a bike tour"],
        experts=["mechanic", "cycling coach", "touring cyclist"],
        places=["the canal towpath", "the bike shed", "the hills outside town", "the local velodrome"],
        facts=["A chain that is cleaned and oiled regularly can last thousands of extra miles.",
               "Correct tyre pressure makes a bigger difference to comfort than most riders expect.",
               "Riding in a lower gear up long hills saves energy for the rest of the day."],
    ),
    "running": dict(
        title="Running",
        nouns=["running shoes", "interval sessions", "rest days", "trail routes", "a training log",
               "hydration packs", "the long run", "recovery runs"],
        acts=["train for a half marathon", "run on trails", "build endurance slowly",
              "avoid common injuries", "pace a race", "return after an injury"],
        experts=["running coach", "physiotherapist", "marathon runner"],
        places=["the park", "the coastal path", "the athletics track", "the forest trails"],
        facts=["Most training plans increase the weekly distance by only a small amount at a time.",
               "Easy runs should feel easy enough that you could hold a conversation.",
               "Sleep is one of the most underrated parts of any training programme."],
    ),
    "software": dict(
        title="Software Engineering",
        nouns=["unit tests", "code reviews", "version control", "legacy code", "deployment scripts",
               "type annotations", "technical debt", "documentation"],
        acts=["refactor legacy code", "write useful tests", "review a pull request",
              "debug a memory leak", "automate a deployment", "onboard a new developer"],
        experts=["software engineer", "site reliability engineer", "engineering manager"],
        places=["the office", "a small startup", "the team's chat channel", "an open source project"],
        facts=["A test that fails for an unclear reason is often worse than having no test at all.",
               "Small pull requests get reviewed faster and tend to contain fewer mistakes.",
               "Writing down why a decision was made saves hours of confusion a year later."],
    ),
    "photography": dict(
        title="Photography",
        nouns=["prime lenses", "manual focus", "raw files", "a sturdy tripod", "natural light",
               "editing software", "film cameras", "the golden hour"],
        acts=["shoot in low light", "compose a landscape", "edit raw photos",
              "photograph people on the street", "clean a camera sensor", "print your own photos"],
        experts=["photographer", "photo editor", "camera technician"],
        places=["the studio", "the harbour", "the old town", "the darkroom"],
        facts=["Soft light on an overcast day is often kinder to faces than bright sunshine.",
               "Printing a photo reveals problems with sharpness that a phone screen hides.",
               "Walking the same street at different times of day teaches you a lot about light."],
    ),
    "urban": dict(
        title="City Planning",
        nouns=["bus lanes", "affordable housing", "public squares", "cycle paths", "zoning rules",
               "street trees", "the ring road", "community consultations"],
        acts=["redesign a busy junction", "plan new housing", "reduce traffic near schools",
              "improve bus services", "make streets safer", "revive a high street"],
        experts=["urban planner", "council officer", "transport researcher"],
        places=["the city centre", "the riverside district", "the old industrial estate",
                "the market square"],
        facts=["Streets with trees and benches tend to attract more people on foot.",
               "Frequent buses matter more to most passengers than the speed of each trip.",
               "Small changes at junctions can reduce collisions without slowing traffic very much."],
    ),
    "history": dict(
        title="Local History",
        nouns=["parish records", "old maps", "oral histories", "the town archive", "census returns",
               "photographs from the 1920s", "the old mill", "local newspapers"],
        acts=["research a family tree", "date an old photograph", "record an oral history",
              "trace the history of a building", "read old handwriting", "organise a heritage walk"],
        experts=["historian", "archivist", "museum curator"],
        places=["the county record office", "the museum", "the parish church",
                "the library's local studies room"],
        facts=["Old street directories are one of the easiest ways to find out who lived in a house.",
               "Many archives will scan a document for a small fee if you cannot visit in person.",
               "Handwriting from two centuries ago becomes readable surprisingly quickly with practice."],
    ),
    "weather": dict(
        title="The Weather",
        nouns=["rain gauges", "weather stations", "heatwaves", "flood defences",
               "seasonal forecasts", "temperature records", "frost dates", "storm warnings"],
        acts=["read a weather chart", "install a home weather station", "prepare a house for storms",
              "track rainfall", "plan around a heatwave", "interpret a seasonal forecast"],
        experts=["meteorologist", "climate scientist", "forecaster"],
        places=["the coast", "the valley", "the upland farms", "the weather station on the hill"],
        facts=["Cold air drains into valleys on clear nights, which is why frost often forms there first.",
               "A rain gauge placed too close to a wall or a tree will give misleading readings.",
               "Forecasts for the next two days are far more reliable than those for the next two weeks."],
    ),
    "education": dict(
        title="School Life",
        nouns=["reading schemes", "homework policies", "class sizes", "school libraries",
               "exam preparation", "outdoor lessons", "teaching assistants", "parent evenings"],
        acts=["support a child with reading", "prepare for exams", "run an after-school club",
              "plan a lesson", "talk to teachers", "encourage a love of books"],
        experts=["teacher", "head teacher", "education researcher"],
        places=["the classroom", "the primary school", "the school library", "the playground"],
        facts=["Children who see adults reading at home are more likely to pick up a book themselves.",
               "Short and regular revision sessions work better than long sessions the night before.",
               "A quiet corner with good light can make homework time much less of a battle."],
    ),
    "finance": dict(
        title="Personal Finance",
        nouns=["household budgets", "emergency savings", "pension contributions", "energy bills",
               "index funds", "credit card debt", "mortgage rates", "subscription services"],
        acts=["build an emergency fund", "cut household bills", "pay off debt", "plan for retirement",
              "compare mortgage deals", "track monthly spending"],
        experts=["financial adviser", "accountant", "economist"],
        places=["the bank", "the kitchen table", "a small business", "the local credit union"],
        facts=["Paying off the debt with the highest interest rate first usually saves the most money.",
               "Forgotten subscriptions are one of the most common leaks in a monthly budget.",
               "Even a small amount saved every month adds up over a few years."],
    ),
    "astronomy": dict(
        title="Stargazing",
        nouns=["telescopes", "star charts", "dark skies", "the lunar calendar", "meteor showers",
               "binocular astronomy", "planetary imaging", "light pollution"],
        acts=["find the Andromeda galaxy", "photograph the Moon", "set up a telescope",
              "observe a meteor shower", "align an equatorial mount", "plan an observing session"],
        experts=["astronomer", "planetarium guide", "amateur astronomer"],
        places=["the observatory", "the dark sky park", "the back garden", "the hilltop car park"],
        facts=["Your eyes need around twenty minutes in the dark before faint stars start to appear.",
               "A pair of ordinary binoculars shows far more of the Moon than most people expect.",
               "The best views of the planets come when they are high above the horizon."],
    ),
    "sailing": dict(
        title="Sailing",
        nouns=["tide tables", "life jackets", "mooring lines", "weather forecasts", "sail trim",
               "navigation charts", "the outboard engine", "safety equipment"],
        acts=["read a tide table", "reef the mainsail", "pick up a mooring", "plan a coastal passage",
              "tie a bowline", "sail in light winds"],
        experts=["sailing instructor", "harbour master", "skipper"],
        places=["the harbour", "the estuary", "the sailing club", "the marina"],
        facts=["Wind against tide can turn a calm stretch of water into short, steep waves.",
               "Reefing early is easier and safer than waiting until the wind has already built.",
               "A simple written passage plan helps everyone on board know what to expect."],
    ),
    "rail": dict(
        title="Train Travel",
        nouns=["rail passes", "sleeper trains", "seat reservations", "connecting services",
               "regional trains", "timetables", "luggage racks", "off-peak tickets"],
        acts=["plan a trip by train", "book a sleeper cabin", "travel light", "find cheap rail fares",
              "change trains in a hurry", "cross a border by rail"],
        experts=["travel writer", "rail enthusiast", "station manager"],
        places=["the central station", "the mountain line", "the coastal railway", "a small border town"],
        facts=["Booking a few weeks ahead often cuts the price of a long journey by half.",
               "Regional trains are slower, but they stop in towns that express services skip.",
               "Leaving at least half an hour for a connection takes most of the stress out of a trip."],
    ),
    "woodworking": dict(
        title="Woodworking",
        nouns=["hand planes", "chisels", "hardwood offcuts", "wood glue", "dovetail joints",
               "sharpening stones", "a workbench", "finishing oils"],
        acts=["sharpen a chisel", "cut a dovetail joint", "build a simple bookshelf",
              "flatten a board by hand", "apply an oil finish", "set up a small workshop"],
        experts=["carpenter", "furniture maker", "joiner"],
        places=["the workshop", "the garage", "the timber yard", "the garden shed"],
        facts=["A sharp tool is safer than a blunt one, because it needs far less force.",
               "Wood moves with the seasons, so joints have to allow for a little expansion.",
               "Thin coats of oil, well rubbed in, give a better finish than one thick coat."],
    ),
    "coffee": dict(
        title="Coffee",
        nouns=["burr grinders", "single origin beans", "water temperature", "pour-over brewers",
               "espresso machines", "fresh roasts", "milk frothing", "brew ratios"],
        acts=["dial in an espresso", "brew pour-over coffee", "store coffee beans",
              "roast beans at home", "choose a grinder", "descale a machine"],
        experts=["barista", "coffee roaster", "cafe owner"],
        places=["the cafe", "the roastery", "the kitchen counter", "the farmers market"],
        facts=["Coffee beans lose much of their aroma within a few weeks of roasting.",
               "A consistent grind matters more than an expensive brewer.",
               "Water that is too hot can make even good coffee taste bitter."],
    ),
    "chess": dict(
        title="Chess",
        nouns=["opening theory", "endgame studies", "chess clocks", "tactics puzzles", "online blitz",
               "the club championship", "annotated games", "rating lists"],
        acts=["study endgames", "prepare an opening repertoire", "analyse your own games",
              "play in a weekend tournament", "solve tactics every day", "manage the clock"],
        experts=["chess coach", "grandmaster", "club captain"],
        places=["the chess club", "the library", "the tournament hall", "the cafe on the corner"],
        facts=["Most games between club players are decided by tactical mistakes rather than openings.",
               "Going over your own lost games teaches more than memorising long opening lines.",
               "Keeping some time in reserve for the final moves prevents a lot of blunders."],
    ),
    "music": dict(
        title="Learning the Piano",
        nouns=["piano scales", "sheet music", "a metronome", "practice routines", "digital pianos",
               "sight reading", "music theory", "recital nerves"],
        acts=["practise scales", "learn a new piece", "prepare for a recital", "tune a guitar",
              "improve sight reading", "find a good teacher"],
        experts=["piano teacher", "music tutor", "concert pianist"],
        places=["the music room", "the community hall", "the conservatory", "the front room"],
        facts=["Twenty focused minutes a day is worth more than a long session once a week.",
               "Playing a difficult passage slowly and correctly is the fastest way to learn it.",
               "Recording yourself is an honest, if sometimes uncomfortable, way to hear your progress."],
    ),
}

# --------------------------------------------------------------------------
# Sentence templates, openers, names, titles, comments
# --------------------------------------------------------------------------

CORES = [
    "When it comes to {n1}, the advice you find online is often contradictory.",
    "The first thing to understand is that there is no single right way to {act}.",
    "If you want to {act}, start small and keep careful notes about what works and what does not.",
    "A {expert} I met in {city} told me that the secret is patience rather than expensive equipment.",
    "There is a surprising amount of disagreement about {n1}, even among people who have done this for decades.",
    "We spent {numw} weeks comparing {n1} and {n2}, and the results were not what we expected.",
    "Most beginners underestimate how much time it takes to {act}.",
    "The difference between a good result and a great one usually comes down to {n1}.",
    "I used to think of {n1} as a minor detail, but I have changed my mind.",
    "It is worth asking a local {expert} for advice before you spend money on {n2}.",
    "The best time to {act} is when you are not in a hurry.",
    "Some readers wrote in to ask whether it is possible to {act} without {n2}, and the short answer is yes.",
    "In {month}, conditions around {place} can change quickly, so plan ahead.",
    "Nobody enjoys the part where you have to {act}, but skipping it causes problems later.",
    "According to one {expert}, about {pct} percent of the mistakes people make come from rushing.",
    "That is why I now keep a simple checklist for {n1} and {n2} pinned to the wall.",
    "The cost of {n2} has gone up over the last few years, which has pushed many people to look for alternatives.",
    "Looking back, the most useful lesson was learning when to stop and when to {act}.",
    "You do not need a lot of space to {act}; a corner of {place} is often enough.",
    "My neighbour, who has been a {expert} for {num2} years, laughed when I showed her my first attempt.",
    "Good {n1} will make the work easier, but it will not replace practice.",
    "There are two common approaches to {n1}, and each one has real strengths. "
    "The second approach takes longer, yet it tends to give more consistent results over time.",
    "If something goes wrong, the cause is usually simple and easy to fix.",
    "One of the questions I hear most often is how to {act} on a tight budget. "
    "The answer depends on your goals, your schedule, and how much you enjoy the process.",
    "Several people in our local club have started to {act} together on weekends. "
    "Sharing tools and advice in this way saves money and builds a sense of community.",
    "Before you begin, it helps to read the instructions that came with {n2} at least twice.",
    "The old rule of thumb about {n1} still holds up surprisingly well.",
    "What surprised me most was how much the weather around {place} affected everything.",
    "By the end of {month}, we had learned more from our failures than from our successes.",
    "Keep in mind that every situation is different, and what works for one person may not work for you.",
    "I would recommend that anyone who is new to this spend a few hours learning how to {act} properly.",
    "For a long time, dealing with {n2} was seen as something only professionals could handle. "
    "That has changed, and today there are many affordable options for people at home.",
    "A small investment in {n1} can save you a great deal of frustration. "
    "It is easy to get carried away and buy far more than you actually need.",
    "The volunteers at the workshop in {city} were generous with their time and their advice. "
    "They showed us how to {act} in less than half the time it usually takes us.",
    "Safety should always come first, especially when you are dealing with {n2}. "
    "Take regular breaks, drink enough water, and do not be afraid to ask for help.",
    "We also tried a few unusual methods, some of which worked better than others. "
    "On balance, the simple method was faster, cheaper, and easier to repeat.",
    "Of all the things we tested, {n1} made the biggest difference to the final result.",
    "If I could give one piece of advice to my younger self, it would be to {act} much earlier.",
    "Many of the problems that people blame on {n2} are really caused by poor planning.",
    "There is a quiet satisfaction in learning to {act} well. "
    "It is the kind of skill that improves slowly and then, one day, suddenly makes sense.",
    "Our readers in {city} have sent us dozens of photos of their own projects this year. "
    "Several of them mentioned that finding {n2} was harder than they had expected.",
    "We will return to this topic in a future post, once we have had more time to test {n2}. "
    "Until then, we would love to hear about your own experience with {n1}.",
    "Why does this matter? Because small decisions about {n1} add up over the course of a year.",
    "Do you really need {n2}? For most people, the honest answer is probably not.",
    "The numbers tell an interesting story: roughly {num2} out of every hundred attempts failed on the first try.",
    "This is not a new idea, and people around {place} have been doing it this way for generations. "
    "Still, it is worth revisiting the basics from time to time.",
    "Here is what we learned after a full season of trying to {act}.",
    "My own first attempt to {act} was, to put it kindly, a mess.",
    "Half of the battle is simply turning up and doing a little every week.",
]

OPENERS = [
    "In my experience,", "To be honest,", "Last {season},", "For what it is worth,", "Of course,",
    "As it turns out,", "On the other hand,", "Even so,", "In practice,",
    "To my surprise,", "Over the years,", "Without a doubt,", "In the end,", "Admittedly,",
]

# cores starting with one of these words may take an opener ("In my experience, ...")
OPENER_OK = {"The", "A", "I", "We", "Most", "Many", "There", "It", "You", "My", "Good",
             "Our", "Nobody", "Some", "Safety"}

CITIES = ["Leeds", "Bristol", "Portland", "Dublin", "Melbourne", "Toronto", "Edinburgh", "Denver",
          "Cardiff", "Wellington", "Halifax", "Glasgow", "Boston", "Vancouver", "Adelaide", "Norwich"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
SEASONS = ["spring", "summer", "autumn", "winter"]
NUMWORDS = ["two", "three", "four", "five", "six", "eight", "ten", "twelve"]
FIRST_NAMES = ["Alice", "Ben", "Clara", "Daniel", "Eve", "Farid", "Grace", "Hugo", "Ines", "James",
               "Kira", "Liam", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
               "Uma", "Victor", "Wen", "Yusuf", "Zoe"]
LAST_NAMES = ["Abbott", "Barnes", "Chen", "Doyle", "Ellis", "Fraser", "Gill", "Hughes", "Iqbal",
              "Jensen", "Kowalski", "Lund", "Moreau", "Nakamura", "Okafor", "Patel", "Reid",
              "Silva", "Turner", "Vance", "Walsh", "Young"]
USERNAMES = ["trailmix42", "oldspoke", "kettle_on", "north_runner", "grumpy_gears", "quietfox",
             "mapreader", "tinkerbean", "slowlane", "hilltop_hannah", "rustychain", "pawnstorm",
             "night_owl_88", "greenthumb", "bramble", "late_bloomer"]
TITLE_TEMPLATES = [
    "{numc} Things I Learned About {T}",
    "A Beginner's Guide to {T}",
    "Why You Should Pay Attention to {N1}",
    "How to {Act} Without the Stress",
    "What Nobody Tells You About {N1}",
    "Notes From a Season of {T}",
    "The Case for {N1}",
    "Common Mistakes When You {Act}",
    "{T}: Lessons From {Place}",
    "Ask the {Expert}: How Do I {Act}?",
    "A Practical Approach to {N1}",
    "Everything You Need to Know Before You {Act}",
    "Is It Worth It to {Act}? Our Honest Verdict",
    "{numc} Simple Ways to {Act}",
]
COMMENTS = [
    "Great post, thank you for sharing this.",
    "I tried this last weekend and it worked really well for me.",
    "Do you have any tips for complete beginners?",
    "This is exactly what I was looking for, thanks!",
    "I have to disagree with the second point, but the rest is spot on.",
    "My grandfather used to say the same thing about patience.",
    "Could you write a follow-up on the equipment you used?",
    "Bookmarked. Really clear and helpful explanation.",
    "We had the opposite experience, which just shows how much it depends on the conditions.",
]
SYNONYMS = {
    "often": "frequently", "usually": "typically", "simple": "straightforward", "help": "assist",
    "quickly": "rapidly", "surprising": "remarkable", "enough": "sufficient", "small": "modest",
    "easy": "simple", "great": "huge", "many": "plenty of", "really": "truly", "common": "typical",
    "advice": "guidance", "expected": "anticipated", "people": "folks",
}
SMALL_WORDS = {"a", "an", "and", "the", "of", "to", "in", "on", "for", "at", "by", "from", "with", "or"}

# --------------------------------------------------------------------------
# Sites (domain, layout, topics, URL pattern) and their stylesheets
# --------------------------------------------------------------------------

SITES = [
    dict(domain="www.lanternfieldgardens.example.com", name="Lanternfield Gardens", layout="blog",
         topics=["gardening", "beekeeping", "birdwatching"], path="/{y}/{m:02d}/{slug}/"),
    dict(domain="news.northwind-daily.example.org", name="The Northwind Daily", layout="news",
         topics=["urban", "history", "weather", "education"], path="/local/{slug}-{id}"),
    dict(domain="www.copperpotkitchen.example.com", name="Copper Pot Kitchen", layout="recipe",
         topics=["cooking", "baking"], path="/recipes/{slug}/"),
    dict(domain="forum.spokesandsoles.example.net", name="Spokes & Soles Forum", layout="forum",
         topics=["cycling", "running"], path="/threads/{slug}.{id}/"),
    dict(domain="blog.byteharbor.example.com", name="Byte Harbor", layout="blog",
         topics=["software", "photography"], path="/posts/{slug}"),
    dict(domain="www.quietcoastmagazine.example.org", name="Quiet Coast Magazine", layout="guide",
         topics=["sailing", "rail", "weather"], path="/guides/{slug}.html"),
    dict(domain="www.meridianpost.example.net", name="Meridian Post", layout="news",
         topics=["finance", "astronomy", "education"], path="/{y}/{m:02d}/{d:02d}/{slug}"),
    dict(domain="www.shavingsandsawdust.example.com", name="Shavings and Sawdust", layout="blog",
         topics=["woodworking", "coffee"], path="/{slug}/"),
    dict(domain="community.sixtyfoursquares.example.org", name="Sixty-Four Squares", layout="forum",
         topics=["chess", "music"], path="/t/{slug}/{id}"),
    dict(domain="www.hearthandgrain.example.net", name="Hearth and Grain", layout="recipe",
         topics=["baking", "cooking"], path="/{slug}-recipe/"),
    dict(domain="www.greenway-guides.example.com", name="Greenway Guides", layout="guide",
         topics=["gardening", "cycling", "rail", "astronomy"], path="/read/{slug}"),
]
MIRROR_DOMAINS = ["www.article-mirror.example.net", "syndication.newsfeedhub.example.org"]

#: stylesheet <link> per site layout; the ``css`` page is served at one of these paths
CSS_LINKS = {
    "blog": "/wp-content/themes/simple/style.css?ver=6.4.3",
    "news": "/static/css/main.4f2a9c.css",
    "recipe": "/assets/site.min.css",
    "forum": "/styles/forum.css?v=1187",
    "guide": "/css/guide.css",
}

# --------------------------------------------------------------------------
# Recipe cards (the ``recipe`` layout)
# --------------------------------------------------------------------------

DISHES = ["lemon and herb roast chicken", "spiced lentil soup", "slow cooked bean stew",
          "garlic mushroom risotto", "simple country loaf", "oat and honey flapjacks",
          "roasted tomato pasta", "rye and caraway bread", "apple and cinnamon crumble",
          "leek and potato pie", "chickpea and spinach curry", "seeded sandwich rolls"]
INGREDIENTS = [
    ("olive oil", ["2 tbsp", "3 tbsp", "1 tbsp"]), ("onions, finely chopped", ["1", "2"]),
    ("garlic cloves, crushed", ["2", "3", "4"]), ("vegetable stock", ["500ml", "750ml", "1 litre"]),
    ("plain flour", ["200g", "250g", "2 tbsp"]), ("unsalted butter", ["25g", "50g", "100g"]),
    ("fresh thyme", ["a few sprigs of"]), ("sea salt", ["1 tsp", "a pinch of"]),
    ("black pepper", ["a pinch of", "freshly ground"]), ("tinned tomatoes", ["1 x 400g tin", "2 x 400g tins"]),
    ("red lentils", ["150g", "200g", "250g"]), ("light brown sugar", ["1 tbsp", "75g"]),
    ("rolled oats", ["100g", "200g"]), ("free-range eggs", ["2", "3"]), ("whole milk", ["150ml", "300ml"]),
    ("unwaxed lemon, zested", ["1"]), ("ground cumin", ["1 tsp", "2 tsp"]),
    ("baby spinach", ["100g", "a large handful of"]),
    ("strong bread flour", ["500g", "450g"]), ("fast-action dried yeast", ["7g", "1 tsp"]),
]
STEP_TEMPLATES = [
    "Heat the oven to {temp} degrees and line a tray with baking paper.",
    "Warm the oil in a large pan and cook the {ing} gently for {mins} minutes.",
    "Stir in the {ing} and season well with salt and pepper.",
    "Mix the dry ingredients in a bowl, then add the {ing} and combine.",
    "Cover and leave to rest for {mins} minutes while you prepare the rest.",
    "Transfer to the oven and bake for {mins} minutes, until golden.",
    "Simmer over a low heat, stirring now and then, until thick.",
    "Taste, adjust the seasoning, and serve with crusty bread.",
    "Leave to cool for a few minutes before slicing or serving.",
]

# --------------------------------------------------------------------------
# Benchmark quoted by pages (decontamination demo)
# --------------------------------------------------------------------------

#: A small benchmark of our own (quiz items, written for the demo) and the good_en pages that quote one
#: item each, so the demo shows decontamination: ``write_demo_benchmark`` writes it as JSON lines.
DEMO_BENCHMARK = [
    ("quiz-0", "A baker fills twelve trays with nine rolls each and sells all but fifteen of them before noon. "
               "How many rolls are left to sell in the afternoon?",
     "Twelve trays of nine make 108 rolls, so 15 are left."),
    ("quiz-1", "Which gas do green plants take in from the air during photosynthesis, and which gas do they give "
               "back out as a by-product of the same process?", "They take in carbon dioxide and give out oxygen."),
    ("quiz-2", "A cyclist rides at eighteen kilometres an hour for two and a half hours and then walks for forty "
               "minutes. How far did she ride before she started walking?", "She rode 45 kilometres."),
    ("quiz-3", "Why does a metal spoon left in a pot of hot soup feel warmer to the touch than a wooden spoon "
               "left in the same pot for the same time?", "Metal conducts heat much better than wood."),
    ("quiz-4", "A library lends out three hundred books on Monday and twice as many on Saturday. How many books "
               "does it lend on those two days together?", "It lends 900 books."),
    ("quiz-5", "What is the name of the boundary between two tectonic plates that are moving away from each other, "
               "as under the middle of the Atlantic Ocean?", "A divergent boundary, such as the Mid-Atlantic Ridge."),
]
CONTAMINATED_GOOD_EN = {7: 0, 47: 1, 97: 3}  # nth good_en page -> DEMO_BENCHMARK item quoted in it
