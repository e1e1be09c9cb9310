"""Deterministic generator of a small, realistic demo Common Crawl WARC.

All text is generated here from hand-written word and sentence banks with
``random.Random(seed)``; nothing is copied from the web.  Domains are under the
reserved ``example.com`` / ``example.org`` / ``example.net`` names and IP
addresses come from the TEST-NET ranges.

The file mimics a Common Crawl WARC: ``.warc.gz`` with one gzip member per
record, a ``warcinfo`` record first, then for each captured URL a ``request``
and a ``response`` record (plus an occasional ``metadata`` record and one
``resource`` record).  The mix of pages is chosen so that a FineWeb-style
pipeline keeps some documents and drops others:

========================  ======  =============================================
kind                      /300    what it is
========================  ======  =============================================
good_en                   165     English article, full page chrome, 5 layouts
foreign                   30      German / French / Spanish / Italian articles
spam                      21      keyword stuffing, "buy cheap" lists, repeats
lorem                     9       lorem ipsum placeholder pages
short                     12      a title and one line
boilerplate               9       "JavaScript must be enabled" / policy text
exact_dup                 15      byte-identical copy of a good page, new URL
near_dup                  15      good article with a few edits, other layout
broken_html               9       unclosed tags, bad nesting, truncated HTML
enc_declared              3       windows-1252 / ISO-8859-1 in HTTP header
enc_undeclared            3       windows-1252 / ISO-8859-1, no charset given
shift_jis                 2       Japanese, Shift_JIS declared in <meta>
image / pdf / css         1 each  non-HTML payloads
not_found                 2       404 pages
redirect                  2       301 / 302 with Location header
========================  ======  =============================================

Counts scale with ``n_pages`` (``good_en`` takes the remainder).

After all well-formed records, three corrupt records are appended, each as its
own gzip member, in this order:

1. ``garbage_header`` - ``WARC/1.0`` followed by a header block of junk: a
   ``WARC-Type response`` line without a colon, 48 random bytes, a free-text
   line and ``Content-Length: banana``.
2. ``bad_content_length`` - a response record whose WARC ``Content-Length``
   claims 4096 bytes more than the block holds (its gzip member ends early).
3. ``truncated_gzip`` - a well-formed response record whose gzip member is cut
   in half, mid deflate stream (no gzip trailer); this is the end of the file.

What readers see (warcio 1.8.1, fastwarc 2.0.1), after every well-formed record:

* warcio ``ArchiveIterator`` raises nothing.  It yields a record with
  ``rec_type None`` (and prints "Record not followed by newline" to stderr),
  then a ``response`` whose content is 175 bytes instead of the declared
  length, then a ``response`` holding only the part of the body that
  decompressed.
* fastwarc ``ArchiveIterator`` yields one record of type ``no_type`` and then
  raises ``OSError("Invalid WARC header")``; records 2 and 3 are never yielded.
* ``gzip.open(path).read()`` raises ``EOFError`` at the truncated last member.

``write_demo_warc(..., corrupt_tail=False)`` leaves the tail out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import html
import io
import random
import re
import struct
import time
import uuid
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

__all__ = ["write_demo_warc", "KIND_PLAN_PER_300", "main"]

# --------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------

#: (kind, pages per 300); ``good_en`` gets whatever remains.
KIND_PLAN_PER_300: list[tuple[str, int]] = [
    ("foreign", 30),
    ("spam", 21),
    ("lorem", 9),
    ("short", 12),
    ("boilerplate", 9),
    ("exact_dup", 15),
    ("near_dup", 15),
    ("broken_html", 9),
    ("enc_declared", 3),
    ("enc_undeclared", 3),
    ("shift_jis", 2),
    ("image", 1),
    ("pdf", 1),
    ("css", 1),
    ("not_found", 2),
    ("redirect", 2),
]

ALL_KINDS = ["good_en"] + [k for k, _ in KIND_PLAN_PER_300]
CORRUPT_KINDS = ["garbage_header", "bad_content_length", "truncated_gzip"]
CRAWL_START = datetime(2024, 2, 20, 9, 0, 0, tzinfo=timezone.utc)
CRAWL_ID = "CC-MAIN-2024-10"

# --------------------------------------------------------------------------
# English word banks
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
    ("unwaxed lemon, zested", ["1"]), ("ground cumin", ["1 tsp", "2 tsp"]), ("baby spinach", ["100g", "a large handful of"]),
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
            "Pour cette recette, il suffit de quelques pommes de terre, d'un oignon, d'un peu de beurre et d'herbes fraîches.",
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


# --------------------------------------------------------------------------
# Text generation helpers
# --------------------------------------------------------------------------

def _title_case(s: str) -> str:
    words = s.split()
    out = []
    for i, w in enumerate(words):
        if i > 0 and w.lower() in SMALL_WORDS:
            out.append(w.lower())
        else:
            out.append(w[:1].upper() + w[1:])
    return " ".join(out)


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:70]


def _lower_first(s: str) -> str:
    if s.startswith("I ") or s.startswith("I'"):
        return s
    return s[:1].lower() + s[1:]


def _fill(rng: random.Random, template: str, topic: dict) -> str:
    n1, n2 = rng.sample(topic["nouns"], 2)
    return template.format(
        n1=n1, n2=n2, act=rng.choice(topic["acts"]), expert=rng.choice(topic["experts"]),
        place=rng.choice(topic["places"]), city=rng.choice(CITIES), month=rng.choice(MONTHS),
        season=rng.choice(SEASONS), numw=rng.choice(NUMWORDS), num2=rng.randint(3, 40),
        pct=rng.choice([20, 30, 40, 60, 70, 80]),
    )


#: A small benchmark of our own (quiz items, written for the demo) and the good_en pages that quote one
#: item each, so the demo shows decontamination: ``write_demo_benchmark`` writes it as JSON lines.
DEMO_BENCHMARK = [
    ("quiz-0", "A baker fills twelve trays with nine rolls each and sells all but fifteen of them before noon. "
               "How many rolls are left to sell in the afternoon?", "Twelve trays of nine make 108 rolls, so 15 are left."),
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


def write_demo_benchmark(path: str | Path) -> int:
    """Write DEMO_BENCHMARK as JSON lines ({id, question, answer}); returns the number of items."""
    path = Path(path)
    with open(path, "w", encoding="utf-8") as f:
        for item_id, question, answer in DEMO_BENCHMARK:
            f.write(json.dumps({"id": item_id, "question": question, "answer": answer}) + "\n")
    return len(DEMO_BENCHMARK)


def write_demo_quality_sets(directory: str | Path, n: int = 200, seed: int = 1) -> dict:
    """Labelled text for the demo's quality classifier (DCLM-style: reference text vs. web junk).

    ``quality_positive.jsonl``: coherent generated articles. ``quality_negative.jsonl``: the kinds of
    text the classifier should score low: word salad (an article's words shuffled), keyword spam,
    navigation/cookie/policy boilerplate, lorem ipsum and placeholder lines. Returns the file paths.
    """
    rng = random.Random(seed)
    directory = Path(directory)
    pos, neg = [], []
    topics = sorted(TOPICS)
    for i in range(n):
        art = make_article(rng, topics[i % len(topics)])
        pos.append(art["title"] + "\n\n" + "\n\n".join(art["paragraphs"]))
        kind = i % 4
        if kind == 0:  # word salad
            words = " ".join(make_article(rng, rng.choice(topics))["paragraphs"]).split()
            rng.shuffle(words)
            neg.append(" ".join(words[: rng.randint(80, 250)]))
        elif kind == 1:  # keyword spam
            prods = rng.sample(SPAM_PRODUCTS, 3)
            lines = [f"{rng.choice(['Buy', 'Cheap', 'Best', 'Top 10', 'Discount'])} {rng.choice(prods)} "
                     f"{rng.choice(['online', 'now', 'today', 'free shipping', 'click here'])}!" for _ in range(rng.randint(15, 40))]
            neg.append("\n".join(lines))
        elif kind == 2:  # boilerplate
            neg.append("\n".join(rng.sample(BOILERPLATE_LINES, min(len(BOILERPLATE_LINES), rng.randint(4, 10)))))
        else:  # lorem ipsum and placeholders
            words = list(LOREM_WORDS)
            neg.append(" ".join(rng.choice(words) for _ in range(rng.randint(60, 200))) + "\n" + rng.choice(SHORT_LINES))
    paths = {}
    for name, texts in (("quality_positive", pos), ("quality_negative", neg)):
        path = directory / f"{name}.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for i, text in enumerate(texts):
                f.write(json.dumps({"id": f"{name}-{i}", "text": text}) + "\n")
        paths[name] = str(path)
    return paths


def make_article(rng: random.Random, topic_key: str) -> dict:
    """Generate an English article (title + paragraphs) about one topic."""
    topic = TOPICS[topic_key]
    n_par = rng.randint(4, 10)
    per_par = [rng.randint(2, 5) for _ in range(n_par)]
    total = sum(per_par)
    cores = rng.sample(CORES, min(total, len(CORES)))
    facts = list(topic["facts"])
    rng.shuffle(facts)
    sentences: list[str] = []
    for core in cores:
        s = _fill(rng, core, topic)
        if rng.random() < 0.3 and core.split(" ", 1)[0] in OPENER_OK:
            op = rng.choice(OPENERS).format(season=rng.choice(SEASONS))
            s = f"{op} {_lower_first(s)}"
        sentences.append(s)
    # sprinkle in the topic's factual sentences
    for f in facts[: rng.randint(1, len(facts))]:
        sentences.insert(rng.randrange(len(sentences) + 1), f)
    paragraphs, i = [], 0
    for k in per_par:
        chunk = sentences[i:i + k]
        i += k
        if chunk:
            paragraphs.append(" ".join(chunk))
    if i < len(sentences):
        paragraphs[-1] += " " + " ".join(sentences[i:])
    n1 = rng.choice(topic["nouns"])
    title = rng.choice(TITLE_TEMPLATES).format(
        numc=rng.choice(["Five", "Seven", "Ten", "Twelve", "Three"]), T=topic["title"],
        N1=_title_case(n1), Act=_title_case(rng.choice(topic["acts"])),
        Place=_title_case(rng.choice(topic["places"])), Expert=_title_case(rng.choice(topic["experts"])),
    )
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    published = datetime(2023, 1, 1) + timedelta(days=rng.randint(0, 400))
    return dict(title=title, paragraphs=paragraphs, author=author, published=published,
                topic=topic_key, tags=rng.sample(topic["nouns"], 3))


def mutate_article(rng: random.Random, art: dict) -> dict:
    """Near-duplicate: swap a few words, replace/drop one sentence, keep the rest."""
    paras = [p for p in art["paragraphs"]]
    # a few synonym swaps
    swaps = 0
    for _ in range(30):
        if swaps >= rng.randint(3, 5):
            break
        pi = rng.randrange(len(paras))
        words = paras[pi].split(" ")
        idx = [j for j, w in enumerate(words) if w in SYNONYMS]
        if not idx:
            continue
        j = rng.choice(idx)
        words[j] = SYNONYMS[words[j]]
        paras[pi] = " ".join(words)
        swaps += 1
    # replace one sentence with a new one
    topic = TOPICS[art["topic"]]
    pi = rng.randrange(len(paras))
    sents = re.split(r"(?<=[.!?]) ", paras[pi])
    sents[rng.randrange(len(sents))] = _fill(rng, rng.choice(CORES), topic)
    paras[pi] = " ".join(sents)
    # drop one sentence elsewhere (if it leaves something behind)
    pi = rng.randrange(len(paras))
    sents = re.split(r"(?<=[.!?]) ", paras[pi])
    if len(sents) > 2:
        del sents[rng.randrange(len(sents))]
        paras[pi] = " ".join(sents)
    new = dict(art)
    new["paragraphs"] = paras
    if rng.random() < 0.5:
        new["title"] = art["title"] + rng.choice([" (Updated)", " - Revisited", " | Reader Favourite"])
    return new


def make_recipe_extras(rng: random.Random) -> dict:
    picked = rng.sample(INGREDIENTS, rng.randint(5, 9))
    ings = [name for name, _ in picked]
    ingredients = [f"{rng.choice(qtys)} {name}" for name, qtys in picked]
    steps = [t.format(temp=rng.choice([180, 190, 200, 220]), mins=rng.choice([5, 10, 15, 20, 25, 40]),
                      ing=rng.choice(ings).split(",")[0])
             for t in rng.sample(STEP_TEMPLATES, rng.randint(4, 7))]
    return dict(dish=_title_case(rng.choice(DISHES)), ingredients=ingredients, steps=steps,
                serves=rng.randint(2, 8), minutes=rng.choice([25, 35, 45, 60, 90, 120]))


# --------------------------------------------------------------------------
# HTML rendering
# --------------------------------------------------------------------------

E = html.escape

CSS_LINKS = {
    "blog": "/wp-content/themes/simple/style.css?ver=6.4.3",
    "news": "/static/css/main.4f2a9c.css",
    "recipe": "/assets/site.min.css",
    "forum": "/styles/forum.css?v=1187",
    "guide": "/css/guide.css",
}


def _head(title: str, site: dict, lang: str = "en", charset: str | None = "utf-8", extra: str = "") -> str:
    cs = f'<meta charset="{charset}">\n' if charset else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n{cs}'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{E(title)} | {E(site['name'])}</title>\n"
        f'<link rel="stylesheet" href="{CSS_LINKS.get(site.get("layout", "blog"), "/style.css")}">\n'
        f'<link rel="canonical" href="https://{site["domain"]}/">\n{extra}'
        f"<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}"
        f"gtag('js',new Date());</script>\n</head>\n"
    )


def _nav(rng: random.Random, site: dict) -> str:
    items = ["Home"] + [TOPICS[t]["title"] for t in site["topics"]] + rng.sample(
        ["About", "Contact", "Newsletter", "Shop", "Archive", "Events", "Subscribe"], 3)
    lis = "".join(f'<li><a href="/{_slug(i) or "index"}/">{E(i)}</a></li>' for i in items)
    return f'<nav class="main-nav" role="navigation"><ul class="menu">{lis}</ul></nav>\n'


def _cookie_banner(rng: random.Random) -> str:
    return (
        '<div id="cookie-banner" class="cookie-notice" role="dialog">'
        "<p>We use cookies to make this site work and to understand how it is used. "
        'See our <a href="/privacy-policy/">privacy policy</a>.</p>'
        '<button class="accept">Accept all</button><button class="reject">Reject</button></div>\n'
    )


def _sidebar(rng: random.Random, site: dict) -> str:
    links = []
    for _ in range(rng.randint(4, 7)):
        t = rng.choice(site["topics"])
        a = _title_case(rng.choice(TOPICS[t]["acts"]))
        links.append(f'<li><a href="/{_slug(a)}/">{E(a)}</a></li>')
    cats = "".join(f'<li><a href="/category/{t}/">{E(TOPICS[t]["title"])}</a></li>' for t in site["topics"])
    return (
        '<aside class="sidebar"><section class="widget"><h3>Recent posts</h3><ul>' + "".join(links)
        + '</ul></section><section class="widget"><h3>Categories</h3><ul>' + cats
        + '</ul></section><section class="widget search"><form action="/search"><input type="search" '
        'name="q" placeholder="Search..."></form></section></aside>\n'
    )


def _footer(rng: random.Random, site: dict) -> str:
    year = 2024
    return (
        '<footer class="site-footer"><ul class="footer-links"><li><a href="/about/">About us</a></li>'
        '<li><a href="/contact/">Contact</a></li><li><a href="/privacy-policy/">Privacy Policy</a></li>'
        '<li><a href="/terms/">Terms of Use</a></li></ul>'
        f"<p>&copy; {rng.randint(2009, 2019)}-{year} {E(site['name'])}. All rights reserved.</p></footer>\n"
        '<script src="/js/app.min.js" async></script>\n</body>\n</html>\n'
    )


def render_page(rng: random.Random, site: dict, art: dict) -> str:
    layout = site["layout"]
    title = art["title"]
    date = art["published"].strftime("%B %d, %Y").replace(" 0", " ")
    paras = "".join(f"<p>{E(p)}</p>\n" for p in art["paragraphs"])
    parts = [_head(title, site), f'<body class="{layout}">\n',
             f'<header class="site-header"><a class="logo" href="/">{E(site["name"])}</a></header>\n',
             _nav(rng, site), _cookie_banner(rng)]
    if layout == "blog":
        tags = "".join(f'<a rel="tag" href="/tag/{_slug(t)}/">{E(t)}</a> ' for t in art["tags"])
        comments = "".join(
            f'<li class="comment"><span class="author">{E(rng.choice(USERNAMES))}</span> '
            f"<p>{E(c)}</p></li>" for c in rng.sample(COMMENTS, rng.randint(0, 4)))
        parts.append(
            '<div class="container"><main id="main">\n<article class="post">\n'
            f'<h1 class="entry-title">{E(title)}</h1>\n'
            f'<div class="entry-meta">Posted on <time>{date}</time> by {E(art["author"])}</div>\n'
            f'<div class="entry-content">\n{paras}</div>\n<div class="tags">Tags: {tags}</div>\n'
            f'</article>\n<section id="comments"><h3>Comments</h3><ol>{comments}</ol>'
            '<p><a href="#respond">Leave a reply</a></p></section>\n</main>\n'
            + _sidebar(rng, site) + "</div>\n")
    elif layout == "news":
        first, rest = art["paragraphs"][0], art["paragraphs"][1:]
        standfirst = re.split(r"(?<=[.!?]) ", first)[0]
        related = "".join(f'<li><a href="/local/{_slug(a)}">{E(_title_case(a))}</a></li>'
                          for a in rng.sample(TOPICS[art["topic"]]["acts"], 3))
        parts.append(
            '<div class="breaking">Live: traffic and travel updates</div>\n<main>\n<article>\n'
            f"<h1>{E(title)}</h1>\n<p class=\"standfirst\">{E(standfirst)}</p>\n"
            f'<p class="byline">By {E(art["author"])}, {rng.choice(["Local", "Science", "Money", "Education"])} '
            f'Reporter &middot; <time>{date}</time></p>\n'
            f"<p>{E(first)}</p>\n" + "".join(f"<p>{E(p)}</p>\n" for p in rest)
            + f'</article>\n<section class="related"><h2>Related stories</h2><ul>{related}</ul></section>\n'
            '<div class="newsletter"><h3>Get the morning briefing</h3><form><input type="email" '
            'placeholder="Email address"><button>Sign up</button></form></div>\n</main>\n')
    elif layout == "recipe":
        rx = art.get("recipe") or make_recipe_extras(rng)
        ings = "".join(f"<li>{E(i)}</li>" for i in rx["ingredients"])
        steps = "".join(f"<li>{E(s)}</li>" for s in rx["steps"])
        half = max(1, len(art["paragraphs"]) // 2)
        parts.append(
            '<main>\n<article class="recipe-post">\n'
            f"<h1>{E(title)}</h1>\n<p class=\"meta\">By {E(art['author'])} &middot; {date}</p>\n"
            '<div class="jump-links"><a class="jump" href="#recipe">Jump to recipe</a></div>\n'
            + "".join(f"<p>{E(p)}</p>\n" for p in art["paragraphs"][:half])
            + f'<div class="recipe-card" id="recipe"><h2>{E(rx["dish"])}</h2>'
            f'<p>Serves {rx["serves"]} &middot; Ready in {rx["minutes"]} minutes</p>'
            f'<h3>Ingredients</h3><ul class="ingredients">{ings}</ul>'
            f'<h3>Method</h3><ol class="method">{steps}</ol>'
            '<button onclick="window.print()">Print recipe</button></div>\n'
            + "".join(f"<p>{E(p)}</p>\n" for p in art["paragraphs"][half:])
            + '<div class="rating">Rated 4.6 out of 5 by readers</div>\n</article>\n</main>\n')
    elif layout == "forum":
        posts = []
        paras_ = art["paragraphs"]
        users = rng.sample(USERNAMES, min(len(USERNAMES), len(paras_)))
        for k, p in enumerate(paras_):
            d = art["published"] + timedelta(hours=5 * k + rng.randint(0, 4))
            posts.append(
                f'<div class="post" id="post-{1000 + k}"><div class="post-author">'
                f'<a href="/members/{users[k % len(users)]}/">{E(users[k % len(users)])}</a>'
                f'<span class="post-count">Posts: {rng.randint(3, 3000)}</span></div>'
                f'<div class="post-date">{d.strftime("%d %b %Y, %H:%M")}</div>'
                f'<div class="post-body"><p>{E(p)}</p></div>'
                '<div class="post-actions"><button>Quote</button><button>Like</button></div></div>\n')
        parts.append(
            f'<main class="thread">\n<div class="breadcrumb"><a href="/">Forums</a> &rsaquo; '
            f'<a href="/forums/{art["topic"]}/">{E(TOPICS[art["topic"]]["title"])}</a></div>\n'
            f'<h1 class="thread-title">{E(title)}</h1>\n' + "".join(posts)
            + '<div class="login-prompt">You must log in or register to reply here.</div>\n</main>\n')
    else:  # guide
        blocks = []
        for k, p in enumerate(art["paragraphs"]):
            if k and k % 3 == 0:
                h = _title_case(rng.choice(TOPICS[art["topic"]]["acts"]))
                blocks.append(f"<h2>{E(h)}</h2>\n")
            blocks.append(f"<p>{E(p)}</p>\n")
        toc = "".join(f"<li>{E(_title_case(a))}</li>" for a in rng.sample(TOPICS[art["topic"]]["acts"], 3))
        parts.append(
            '<div class="layout"><main>\n<article class="guide">\n'
            f'<h1>{E(title)}</h1>\n<p class="updated">Last updated {date} &middot; '
            f'{rng.randint(4, 14)} min read</p>\n<div class="toc"><strong>In this guide</strong><ol>{toc}</ol></div>\n'
            + "".join(blocks) + "</article>\n</main>\n" + _sidebar(rng, site) + "</div>\n")
    parts.append(_footer(rng, site))
    return "".join(parts)


def render_foreign(rng: random.Random, lang: str) -> tuple[str, str, str]:
    bank = FOREIGN[lang]
    domain = rng.choice(bank["domains"])
    title = rng.choice(bank["titles"])
    sents = rng.sample(bank["sentences"], rng.randint(7, 11))
    paras, i = [], 0
    while i < len(sents):
        k = rng.randint(2, 4)
        paras.append(" ".join(sents[i:i + k]))
        i += k
    site = dict(name=domain.split(".")[1].capitalize(), domain=domain, layout="blog")
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    date = f"{rng.randint(1, 28)}.{rng.randint(1, 12)}.2023"
    nav = "".join(f'<li><a href="/{_slug(n) or "x"}/">{E(n)}</a></li>' for n in bank["nav"])
    body = (
        _head(title, site, lang=lang) + "<body>\n"
        f'<header><a class="logo" href="/">{E(site["name"])}</a></header>\n<nav><ul>{nav}</ul></nav>\n'
        f"<main><article>\n<h1>{E(title)}</h1>\n<p class=\"meta\">{E(bank['byline'].format(date=date, author=author))}</p>\n"
        + "".join(f"<p>{E(p)}</p>\n" for p in paras)
        + f"</article></main>\n<footer><p>&copy; 2024 {E(site['name'])}. {E(bank['footer'])}</p></footer>\n"
        "</body>\n</html>\n")
    return body, domain, f"/{_slug(title.encode('ascii', 'ignore').decode()) or 'artikel'}-{rng.randint(100, 9999)}/"


def render_spam(rng: random.Random) -> tuple[str, str]:
    prods = rng.sample(SPAM_PRODUCTS, 3)
    p = prods[0]
    style = rng.randrange(3)
    site = dict(name="Best Deals", domain="x", layout="blog")
    if style == 0:  # keyword stuffing
        kw = [f"cheap {p}", f"best {p}", f"buy {p} online", f"{p} discount", f"{p} sale",
              f"{p} near me", f"top {p} 2024", f"{p} free shipping"]
        stuffed = " ".join(rng.choice(kw) for _ in range(rng.randint(80, 160)))
        body = f"<h1>{E(_title_case('best cheap ' + p))}</h1>\n<p>{E(stuffed)}</p>\n<p>{E(stuffed[:400])}</p>\n"
    elif style == 1:  # bullet list of buy-cheap lines
        lines = []
        for _ in range(rng.randint(30, 60)):
            q = rng.choice(prods)
            lines.append(rng.choice([
                f"Buy cheap {q} - click here!", f"BEST {q.upper()} DEALS - CLICK HERE",
                f"{q} 90% off today only!!!", f"Click here for {q}", f"Cheap {q} in {rng.choice(CITIES)}"]))
        body = f"<h1>{E(_title_case(p))} Deals</h1>\n<ul>" + "".join(
            f'<li><a href="/go?id={rng.randint(1, 999)}">{E(x)}</a></li>' for x in lines) + "</ul>\n"
    else:  # repeated lines
        line = f"Best {p} deals online today! Click here to buy now and save big on {p}!"
        reps = "".join(f"<p>{E(line)}</p>\n" for _ in range(rng.randint(15, 30)))
        links = " | ".join(f'<a href="/{_slug(p + " " + c)}">{E(p)} {E(c)}</a>' for c in CITIES)
        body = f"<h1>{E(_title_case(p))}!!!</h1>\n{reps}<div class=\"seo-links\">{links}</div>\n"
    html_ = _head(_title_case(f"cheap {p} buy {p} online best {p}"), site,
                  extra=f'<meta name="keywords" content="{E(", ".join(p for p in prods * 4))}">\n') \
        + "<body>\n" + body + "</body>\n</html>\n"
    return html_, f"/{_slug('cheap ' + p)}-{rng.randint(1, 9999)}.html"


def render_lorem(rng: random.Random, site: dict) -> str:
    paras = []
    for k in range(rng.randint(3, 6)):
        words = [rng.choice(LOREM_WORDS) for _ in range(rng.randint(40, 90))]
        if k == 0:
            words[:5] = ["lorem", "ipsum", "dolor", "sit", "amet,"]
        s = " ".join(words)
        paras.append(s[0].upper() + s[1:] + ".")
    title = rng.choice(["Sample Page", "Hello world!", "Untitled", "Our Services", "About Us"])
    return (_head(title, site) + "<body>\n" + _nav(rng, site)
            + f"<main><article><h1>{E(title)}</h1>\n" + "".join(f"<p>{E(p)}</p>\n" for p in paras)
            + "</article></main>\n" + _footer(rng, site))


def render_short(rng: random.Random, site: dict) -> str:
    title = rng.choice(["Coming Soon", "Welcome", "Thank You", "Cart", "Login", "Update"])
    return (_head(title, site) + f"<body>\n<h1>{E(title)}</h1>\n<p>{E(rng.choice(SHORT_LINES))}</p>\n"
            "</body>\n</html>\n")


def render_boilerplate(rng: random.Random, site: dict) -> str:
    lines = rng.sample(BOILERPLATE_LINES, rng.randint(3, 6))
    return (_head("Please enable JavaScript", site) + "<body>\n"
            + '<noscript><div class="noscript">' + E(lines[0]) + "</div></noscript>\n"
            + '<div id="app"></div>\n<div class="consent">' + "".join(f"<p>{E(x)}</p>\n" for x in lines[1:])
            + "</div>\n" + _footer(rng, site))


def break_html(rng: random.Random, page: str) -> str:
    """Damage markup: drop closing tags, mis-nest inline tags, maybe truncate."""
    page = page.replace("</p>", "", rng.randint(2, 50))
    page = re.sub(r"</div>", "", page, count=rng.randint(1, 4))
    page = page.replace("</li>", "").replace("</article>", "", 1)
    # mismatched nesting around a few words
    words = list(re.finditer(r"(?<=<p>)(\w+) (\w+)", page))
    for m in rng.sample(words, min(3, len(words)))[::-1]:
        a, b = m.group(1), m.group(2)
        page = page[:m.start()] + f"<b><i>{a}</b> {b}</i>" + page[m.end():]
    page = page.replace("<main", "<main><span><table><tr><td", 1)
    if rng.random() < 0.6:
        cut = int(len(page) * rng.uniform(0.55, 0.85))
        page = page[:cut]  # truncated mid-document, often mid-tag
    return page


def typographic(text: str, rng: random.Random) -> str:
    text = text.replace("'", "\u2019").replace(" - ", " \u2014 ")
    extra = rng.choice([
        "The caf\u00e9 near the station charges \u20ac3.50 for a flat white \u2014 about \u00a33 at today\u2019s rate.",
        "Our na\u00efve first attempt was, in hindsight, a lesson in humility \u2026 and in patience.",
        "As one reader put it, \u201cthe best tool is the one you actually use.\u201d",
        "It was 28\u00b0C in the shade, so we gave up at noon and went looking for a caf\u00e9.",
    ])
    return text + " " + extra


def make_png(rng: random.Random, w: int = 24, h: int = 24) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    c1 = [rng.randrange(256) for _ in range(3)]
    c2 = [rng.randrange(256) for _ in range(3)]
    raw = b"".join(b"\x00" + b"".join(bytes(c1 if (x // 4 + y // 4) % 2 else c2) for x in range(w))
                   for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def make_pdf(rng: random.Random, title: str, lines: list[str]) -> bytes:
    text = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(
        "(" + ln.replace("\\", "").replace("(", "").replace(")", "") + ") '" for ln in [title] + lines) + " ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text.encode("latin-1") + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def make_css(rng: random.Random) -> bytes:
    colors = ["#1d3557", "#457b9d", "#e63946", "#2a9d8f", "#264653", "#f4a261"]
    rules = []
    for sel in ["body", ".site-header", ".main-nav a", ".entry-content p", ".sidebar .widget",
                ".site-footer", ".cookie-notice", "h1, h2, h3"]:
        rules.append(f"{sel} {{\n  color: {rng.choice(colors)};\n  margin: {rng.randint(0, 24)}px;\n"
                     f"  font-size: {rng.choice([14, 16, 18, 22, 28])}px;\n}}\n")
    return ("/* theme stylesheet */\n" + "".join(rules)).encode()


# --------------------------------------------------------------------------
# WARC writing
# --------------------------------------------------------------------------

def _gzip_member(data: bytes) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip wrapper, mtime 0 -> deterministic
    return co.compress(data) + co.flush()


class _Ctx:
    def __init__(self, seed: int):
        self.idrng = random.Random(f"winnow-demo-ids-{seed}")
        self.clock = CRAWL_START

    def rec_id(self) -> str:
        return f"<urn:uuid:{uuid.UUID(int=self.idrng.getrandbits(128), version=4)}>"

    def tick(self) -> str:
        self.clock += timedelta(seconds=self.idrng.randint(1, 40))
        return self.clock.strftime("%Y-%m-%dT%H:%M:%SZ")

    def ip(self) -> str:
        return f"{self.idrng.choice(['192.0.2', '198.51.100', '203.0.113'])}.{self.idrng.randint(2, 250)}"


def _page(kind, url, body, *, status="200 OK", ctype="text/html; charset=utf-8",
          ptype="text/html", extra=None):
    return dict(kind=kind, url=url, body=body, status=status, ctype=ctype, ptype=ptype,
                extra=extra or [])


def _http_headers(rng, ctx, p, date_str):
    server = rng.choice(["nginx", "Apache", "cloudflare", "nginx/1.24.0", "LiteSpeed"])
    hdrs = [("Date", datetime.strptime(date_str, "%Y-%m-%dT%H:%M:%SZ").strftime("%a, %d %b %Y %H:%M:%S GMT")),
            ("Server", server)]
    if p["ctype"]:
        hdrs.append(("Content-Type", p["ctype"]))
    hdrs.append(("Content-Length", str(len(p["body"]))))
    hdrs += p["extra"]
    if rng.random() < 0.5:
        hdrs.append(("Cache-Control", rng.choice(["max-age=600", "no-cache", "public, max-age=86400"])))
    if rng.random() < 0.4:
        hdrs.append(("X-Crawler-Content-Encoding", "gzip"))
    return StatusAndHeaders(p["status"], hdrs, protocol="HTTP/1.1")


def _write_capture(writer, rng, ctx, p, warcinfo_id, counts, with_metadata=False):
    date = ctx.tick()
    url = p["url"]
    m = re.match(r"https?://([^/]+)(/.*)?$", url)
    host, path = m.group(1), m.group(2) or "/"
    req_id, resp_id = ctx.rec_id(), ctx.rec_id()
    ip = ctx.ip()
    req_http = StatusAndHeaders(f"GET {path} HTTP/1.1", [
        ("User-Agent", "CCBot/2.0 (https://commoncrawl.org/faq/)"),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ("Accept-Language", "en-US,en;q=0.5"), ("Accept-Encoding", "br,gzip"),
        ("Host", host), ("Connection", "Keep-Alive")], is_http_request=True)
    rec = writer.create_warc_record(url, "request", payload=io.BytesIO(b""), length=0, http_headers=req_http,
                                    warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": req_id,
                                                       "WARC-IP-Address": ip, "WARC-Warcinfo-ID": warcinfo_id})
    writer.write_record(rec)
    counts["request"] += 1
    hh = {"WARC-Date": date, "WARC-Record-ID": resp_id, "WARC-IP-Address": ip,
          "WARC-Warcinfo-ID": warcinfo_id, "WARC-Concurrent-To": req_id,
          "WARC-Identified-Payload-Type": p["ptype"]}
    rec = writer.create_warc_record(url, "response", payload=io.BytesIO(p["body"]), length=len(p["body"]),
                                    http_headers=_http_headers(rng, ctx, p, date), warc_headers_dict=hh)
    writer.write_record(rec)
    counts["response"] += 1
    if with_metadata:
        md = (f"fetchTimeMs: {rng.randint(80, 2400)}\r\ncharset-detected: UTF-8\r\n"
              f'languages-cld2: {{"reliable":true,"text-bytes":{len(p["body"]) // 3},'
              f'"languages":[{{"code":"en","code-iso-639-3":"eng","text-covered":0.97,"score":1011.0,'
              f'"name":"ENGLISH"}}]}}\r\n').encode()
        rec = writer.create_warc_record(url, "metadata", payload=io.BytesIO(md), length=len(md),
                                        warc_content_type="application/warc-fields",
                                        warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": ctx.rec_id(),
                                                           "WARC-Warcinfo-ID": warcinfo_id,
                                                           "WARC-Concurrent-To": resp_id})
        writer.write_record(rec)
        counts["metadata"] += 1


def _corrupt_tail(rng: random.Random, ctx: _Ctx) -> list[bytes]:
    members = []
    # 1. Garbage header block.
    junk = bytes(rng.randrange(1, 256) for _ in range(48)).replace(b":", b";").replace(b"\n", b" ")
    members.append(_gzip_member(
        b"WARC/1.0\r\nWARC-Type response\r\n" + junk + b"\r\nthis is not a header line\r\n"
        b"Content-Length: banana\r\n\r\n<html><body>garbage</body></html>\r\n\r\n"))
    # 2. Content-Length claims more than the block holds.
    body = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            b"<html><head><title>Partial capture</title></head><body><p>This capture was cut short "
            b"while it was being written to disk, so the record is shorter than its header says.</p>")
    hdr = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: {ctx.tick()}\r\n"
           f"WARC-Record-ID: {ctx.rec_id()}\r\n"
           f"WARC-Target-URI: https://www.lanternfieldgardens.example.com/partial-capture/\r\n"
           f"WARC-Identified-Payload-Type: text/html\r\n"
           f"Content-Type: application/http; msgtype=response\r\n"
           f"Content-Length: {len(body) + 4096}\r\n\r\n").encode()
    members.append(_gzip_member(hdr + body + b"\r\n\r\n"))
    # 3. Well-formed record, gzip member truncated mid-stream (no trailer; EOF).
    body = ("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>"
            + "".join(f"<p>Row {i}: {_fill(rng, rng.choice(CORES), TOPICS['history'])}</p>" for i in range(40)) + "</body></html>").encode()
    rec = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: {ctx.tick()}\r\n"
           f"WARC-Record-ID: {ctx.rec_id()}\r\n"
           f"WARC-Target-URI: https://www.meridianpost.example.net/2024/02/20/truncated-download\r\n"
           f"WARC-Identified-Payload-Type: text/html\r\n"
           f"Content-Type: application/http; msgtype=response\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body + b"\r\n\r\n"
    gz = _gzip_member(rec)
    members.append(gz[: len(gz) // 2])
    return members


def _plan_counts(n_pages: int) -> dict[str, int]:
    counts = {}
    remaining = n_pages
    for kind, per300 in KIND_PLAN_PER_300:
        c = int(per300 * n_pages / 300 + 0.5)
        c = max(0, min(c, remaining - 1)) if remaining > 1 else 0
        counts[kind] = c
        remaining -= c
    counts = {"good_en": remaining, **counts}
    if counts["good_en"] == 0 and n_pages > 0:  # tiny runs: duplicates need a source
        for k in ("exact_dup", "near_dup", "broken_html"):
            if counts[k]:
                counts[k] -= 1
                counts["good_en"] += 1
                break
    return counts


def write_demo_warc(path: str | Path, n_pages: int = 300, seed: int = 0, *,
                    corrupt_tail: bool = True) -> dict:
    """Write a deterministic demo Common Crawl WARC to ``path`` (``.warc.gz``).

    Returns a summary dict with ``pages`` (count per page kind, summing to
    ``n_pages``), ``records`` (count per WARC record type plus ``corrupt``,
    summing to ``total_records``), ``html_pages`` (well-formed 200 responses
    whose Content-Type is text/html), ``well_formed_records``,
    ``corrupt_tail`` (the corrupt records in file order), ``kind_by_url``
    (page kind for each captured URL, in crawl order), ``bytes``, ``sha256``
    and ``path``.

    With ``corrupt_tail=False`` the three corrupt members are not appended.
    """
    if n_pages < 1:
        raise ValueError("n_pages must be >= 1")
    path = Path(path)
    rng = random.Random(seed)
    ctx = _Ctx(seed)
    plan = _plan_counts(n_pages)
    kinds = [k for k, c in plan.items() for _ in range(c)]
    rng.shuffle(kinds)
    # duplicates and broken copies need an earlier good article: swap forward
    seen_good = False
    for i, k in enumerate(kinds):
        if k == "good_en":
            seen_good = True
        elif k in ("exact_dup", "near_dup", "broken_html") and not seen_good:
            j = kinds.index("good_en", i)
            kinds[i], kinds[j] = kinds[j], kinds[i]
            seen_good = True

    used_urls: set[str] = set()
    originals: list[dict] = []  # dicts: site, art, html, url

    def unique(url: str) -> str:
        base, n = url, 2
        while url in used_urls:
            url = f"{base}?p={n}"
            n += 1
        used_urls.add(url)
        return url

    def article_url(site: dict, art: dict) -> str:
        pub = art["published"]
        return unique("https://" + site["domain"] + site["path"].format(
            y=pub.year, m=pub.month, d=pub.day, slug=_slug(art["title"]), id=rng.randint(1000, 99999)))

    def new_good():
        site = rng.choice(SITES)
        art = make_article(rng, rng.choice(site["topics"]))
        if site["layout"] == "recipe":
            art["recipe"] = rx = make_recipe_extras(rng)
            art["title"] = rng.choice(["{d}", "Easy {d}", "{d} for Busy Weeknights", "My Favourite {d}",
                                       "How to Make {d}", "The Only {d} Recipe You Need"]).format(d=rx["dish"])
        return site, art

    pages = []
    contaminated: list[str] = []
    foreign_langs = ["de", "fr", "es", "it"]
    enc_declared_i = enc_undeclared_i = redirect_i = foreign_i = 0
    for kind in kinds:
        if kind == "good_en":
            site, art = new_good()
            n_good = len(originals)
            if n_good in CONTAMINATED_GOOD_EN:  # a page that quotes a benchmark item verbatim
                _, q, a = DEMO_BENCHMARK[CONTAMINATED_GOOD_EN[n_good]]
                art["paragraphs"].insert(len(art["paragraphs"]) // 2, f"A reader sent us this quiz question: {q} {a}")
            page_html = render_page(rng, site, art)
            url = article_url(site, art)
            if n_good in CONTAMINATED_GOOD_EN:
                contaminated.append(url)
            originals.append(dict(site=site, art=art, html=page_html, url=url))
            pages.append(_page(kind, url, page_html.encode()))
        elif kind == "exact_dup":
            src = rng.choice(originals)
            if rng.random() < 0.5:
                url = unique(src["url"] + rng.choice(["?utm_source=newsletter&utm_medium=email",
                                                      "?amp=1", "?replytocom=" + str(rng.randint(10, 999))]))
            else:
                slug = _slug(src["art"]["title"])
                url = unique(f"https://{rng.choice(MIRROR_DOMAINS)}/{slug}-{rng.randint(10, 99999)}")
            pages.append(_page(kind, url, src["html"].encode()))
        elif kind == "near_dup":
            src = rng.choice(originals)
            others = [s for s in SITES if s["layout"] != src["site"]["layout"]]
            site = rng.choice(others)
            art = mutate_article(rng, src["art"])
            pages.append(_page(kind, article_url(site, art), render_page(rng, site, art).encode()))
        elif kind == "broken_html":
            site, art = new_good()
            page_html = break_html(rng, render_page(rng, site, art))
            pages.append(_page(kind, article_url(site, art), page_html.encode()))
        elif kind == "foreign":
            lang = foreign_langs[foreign_i % 4]
            foreign_i += 1
            body, domain, path_ = render_foreign(rng, lang)
            pages.append(_page(kind, unique(f"https://{domain}{path_}"), body.encode()))
        elif kind == "spam":
            body, path_ = render_spam(rng)
            pages.append(_page(kind, unique(f"https://{rng.choice(SPAM_DOMAINS)}{path_}"), body.encode()))
        elif kind == "lorem":
            site = rng.choice(SITES)
            body = render_lorem(rng, site)
            pages.append(_page(kind, unique(f"https://{site['domain']}/sample-page-{rng.randint(1, 999)}/"),
                               body.encode()))
        elif kind == "short":
            site = rng.choice(SITES)
            slug = rng.choice(["coming-soon", "cart", "login", "thanks", "update"])
            pages.append(_page(kind, unique(f"https://{site['domain']}/{slug}-{rng.randint(1, 999)}"),
                               render_short(rng, site).encode()))
        elif kind == "boilerplate":
            site = rng.choice(SITES)
            slug = rng.choice(["account", "checkout", "dashboard", "consent"])
            pages.append(_page(kind, unique(f"https://{site['domain']}/app/{slug}/{rng.randint(1, 999)}"),
                               render_boilerplate(rng, site).encode()))
        elif kind in ("enc_declared", "enc_undeclared"):
            idx = enc_declared_i if kind == "enc_declared" else enc_undeclared_i
            variant = idx % 3
            if kind == "enc_declared":
                enc_declared_i += 1
            else:
                enc_undeclared_i += 1
            # declared: 0,1 English windows-1252 (1 also has a meta http-equiv), 2 German ISO-8859-1
            # undeclared: 0 English windows-1252, 1 German ISO-8859-1, 2 Spanish ISO-8859-1
            foreign_lang = {("enc_declared", 2): "de", ("enc_undeclared", 1): "de",
                            ("enc_undeclared", 2): "es"}.get((kind, variant))
            if foreign_lang:
                body, domain, path_ = render_foreign(rng, foreign_lang)
                url = unique(f"https://{domain}{path_}")
                charset = "iso-8859-1"
            else:
                site, art = new_good()
                art["paragraphs"] = [typographic(p, rng) for p in art["paragraphs"]]
                art["title"] = art["title"].replace("'", "\u2019")
                body = render_page(rng, site, art)
                url = article_url(site, art)
                charset = "windows-1252"
            # remove the utf-8 meta; declare in HTTP header (declared) or nowhere (undeclared)
            body = body.replace('<meta charset="utf-8">\n', "")
            if kind == "enc_declared" and variant == 1:
                meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
                body = body.replace("<head>\n", "<head>\n" + meta, 1)
            data = body.encode(charset)
            ctype = f"text/html; charset={charset.upper() if charset.startswith('iso') else charset}" \
                if kind == "enc_declared" else "text/html"
            pages.append(_page(kind, url, data, ctype=ctype))
        elif kind == "shift_jis":
            title = rng.choice(JAPANESE["titles"])
            sents = rng.sample(JAPANESE["sentences"], rng.randint(5, 8))
            site = dict(name="静かな日々", domain=JAPANESE["domain"], layout="blog")
            nav = "".join(f'<li><a href="/{i}/">{E(n)}</a></li>' for i, n in enumerate(JAPANESE["nav"]))
            body = (_head(title, site, lang="ja", charset="Shift_JIS") + "<body>\n"
                    f"<nav><ul>{nav}</ul></nav>\n<main><h1>{E(title)}</h1>\n"
                    f"<p>{''.join(sents[:len(sents) // 2])}</p>\n<p>{''.join(sents[len(sents) // 2:])}</p>\n"
                    "</main>\n<footer>&copy; 2024</footer>\n</body>\n</html>\n")
            pages.append(_page(kind, unique(f"https://{JAPANESE['domain']}/entry/{rng.randint(10000, 99999)}.html"),
                               body.encode("shift_jis"), ctype="text/html"))
        elif kind == "image":
            site = rng.choice(SITES)
            pages.append(_page(kind, unique(f"https://{site['domain']}/images/header-{rng.randint(1, 99)}.png"),
                               make_png(rng), ctype="image/png", ptype="image/png"))
        elif kind == "pdf":
            site = rng.choice(SITES)
            art = make_article(rng, rng.choice(site["topics"]))
            lines = re.split(r"(?<=[.!?]) ", art["paragraphs"][0])[:8]
            pages.append(_page(kind, unique(f"https://{site['domain']}/files/{_slug(art['title'])}.pdf"),
                               make_pdf(rng, art["title"], lines), ctype="application/pdf",
                               ptype="application/pdf"))
        elif kind == "css":
            site = rng.choice(SITES)
            pages.append(_page(kind, unique(f"https://{site['domain']}{CSS_LINKS[site['layout']].split('?')[0]}"),
                               make_css(rng), ctype="text/css", ptype="text/css"))
        elif kind == "not_found":
            site = rng.choice(SITES)
            body = (_head("Page not found", site) + "<body>\n<h1>404 - Page not found</h1>\n"
                    "<p>Sorry, the page you were looking for does not exist.</p>\n"
                    '<p><a href="/">Return to the home page</a></p>\n</body>\n</html>\n')
            slug = _slug(rng.choice(TOPICS[rng.choice(site["topics"])]["acts"]))
            pages.append(_page(kind, unique(f"https://{site['domain']}/{slug}-old/"),
                               body.encode(), status="404 Not Found"))
        elif kind == "redirect":
            site = rng.choice(SITES)
            target = f"https://{site['domain']}/"
            status = ["301 Moved Permanently", "302 Found"][redirect_i % 2]
            redirect_i += 1
            body = (f'<html><head><title>{status}</title></head><body><h1>{status[4:]}</h1>'
                    f'<p>The document has moved <a href="{target}">here</a>.</p></body></html>\n').encode()
            pages.append(_page(kind, unique(f"http://{site['domain']}/index.php?page_id={rng.randint(1, 500)}"),
                               body, status=status, extra=[("Location", target)]))
        else:  # pragma: no cover
            raise AssertionError(kind)

    counts = {"warcinfo": 0, "request": 0, "response": 0, "metadata": 0, "resource": 0, "corrupt": 0}
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.0")
        filename = path.name
        warcinfo_id = ctx.rec_id()
        info = (f"isPartOf: {CRAWL_ID}-demo\r\npublisher: Winnow demo data generator\r\n"
                f"description: Synthetic demo crawl, seed={seed}, pages={n_pages}. All text is generated.\r\n"
                "operator: Winnow\r\nhostname: demo-crawler-01\r\nsoftware: winnow-demo-data/1.0\r\n"
                "robots: checked via crawler-commons\r\nformat: WARC File Format 1.0\r\n"
                "conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.0/\r\n"
                ).encode()
        rec = writer.create_warc_record("", "warcinfo", payload=io.BytesIO(info), length=len(info),
                                        warc_content_type="application/warc-fields",
                                        warc_headers_dict={"WARC-Date": ctx.tick(), "WARC-Record-ID": warcinfo_id,
                                                           "WARC-Filename": filename})
        writer.write_record(rec)
        counts["warcinfo"] += 1
        metadata_slots = {i for i, p in enumerate(pages) if p["kind"] == "good_en"}
        metadata_slots = set(sorted(metadata_slots)[:2])
        for i, p in enumerate(pages):
            _write_capture(writer, rng, ctx, p, warcinfo_id, counts, with_metadata=i in metadata_slots)
            if i == 0:
                host = re.match(r"https?://([^/]+)", p["url"]).group(1)
                dns = f"{ctx.clock.strftime('%Y%m%d%H%M%S')}\n{host}.\t300\tIN\tA\t{ctx.ip()}\n".encode()
                rec = writer.create_warc_record(f"dns:{host}", "resource", payload=io.BytesIO(dns),
                                                length=len(dns), warc_content_type="text/dns",
                                                warc_headers_dict={"WARC-Date": ctx.tick(),
                                                                   "WARC-Record-ID": ctx.rec_id(),
                                                                   "WARC-Warcinfo-ID": warcinfo_id})
                writer.write_record(rec)
                counts["resource"] += 1
        for member in (_corrupt_tail(rng, ctx) if corrupt_tail else []):
            fh.write(member)
            counts["corrupt"] += 1

    page_counts = {k: 0 for k in ALL_KINDS}
    for p in pages:
        page_counts[p["kind"]] += 1
    html_pages = sum(1 for p in pages if p["status"].startswith("200") and p["ctype"].startswith("text/html"))
    total = sum(counts.values())
    return {
        "path": str(path),
        "n_pages": n_pages,
        "seed": seed,
        "pages": page_counts,
        "records": counts,
        "total_records": total,
        "well_formed_records": total - counts["corrupt"],
        "html_pages": html_pages,
        "corrupt_tail": list(CORRUPT_KINDS) if corrupt_tail else [],
        "kind_by_url": {p["url"]: p["kind"] for p in pages},
        "contaminated_urls": contaminated,
        "bytes": path.stat().st_size,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the deterministic Winnow demo WARC.")
    ap.add_argument("out", help="output path, e.g. demo.warc.gz")
    ap.add_argument("--pages", type=int, default=300, help="number of captured URLs (default 300)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    summary = write_demo_warc(args.out, n_pages=args.pages, seed=args.seed)
    dt = time.perf_counter() - t0
    print(f"wrote {summary['path']}: {summary['bytes']:,} bytes, {summary['total_records']} records "
          f"({summary['records']}) in {dt:.2f}s")
    print("pages:", ", ".join(f"{k}={v}" for k, v in summary["pages"].items() if v))
    print(f"html_pages={summary['html_pages']} corrupt_tail={summary['corrupt_tail']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
