"""Name pools of the demo company: reps, accounts and the field-note templates."""

from __future__ import annotations

FIRST_NAMES = (
    "James", "Maria", "Wei", "Aisha", "Lucas", "Sofia", "Hiroshi", "Priya", "Mateo", "Emma", "Oliver", "Chen",
    "Fatima", "Noah", "Ana", "Ivan", "Yuki", "Omar", "Elena", "Daniel", "Grace", "Raj", "Lena", "Kofi", "Sara",
    "Tomás", "Ingrid", "Mohammed", "Julia", "Arjun", "Hannah", "Diego", "Mei", "Lars", "Amara", "Pedro", "Nadia",
    "Kenji", "Olivia", "Samuel", "Chloé", "Ahmed", "Isabel", "Felix", "Leila", "Marco", "Anya", "Ethan", "Zainab",
    "Luca", "Camille", "Jonas", "Ren", "Beatriz", "Andrés", "Freya", "Hamid", "Clara", "Sven", "Imani", "Pablo",
    "Mia", "Tariq", "Nora", "Viktor", "Rosa", "Kai", "Elif", "Gabriel", "Ava", "Malik", "Lucía", "Oscar",
    "Saanvi", "Hugo", "Inès", "Rohan", "Astrid", "Dmitri", "Noémie", "José", "Zoë", "Liam", "Siobhán",
    "François", "Björn",
)
LAST_NAMES = (
    "Smith", "García", "Müller", "O'Brien", "Nguyen", "Kim", "Patel", "Rossi", "Silva", "Kowalski", "Johansson",
    "Dubois", "Tanaka", "Okafor", "Haddad", "Schmidt", "Fernández", "Wang", "Singh", "Ivanova", "Brown", "Lopez",
    "Novak", "Jensen", "Costa", "Yamamoto", "Mensah", "Khan", "Larsen", "Moreau", "Park", "Ahmed", "Bianchi",
    "Santos", "Nowak", "Eriksson", "Laurent", "Sato", "Adeyemi", "Rahman", "Wilson", "Martínez", "Fischer",
    "O'Connor", "Chen", "Kumar", "Ricci", "Pereira", "Horvat", "Nielsen", "Girard", "Ito", "Boateng", "Aziz",
    "Taylor", "Gómez", "Weber", "D'Angelo", "Li", "Reddy", "Romano", "Oliveira", "Varga", "Berg", "Lefèvre",
    "Suzuki", "Owusu", "Hassan", "Clarke", "Núñez", "Schäfer", "McCarthy", "Zhang", "Iyer", "Greco", "Souza",
    "Popescu", "Lindqvist", "Fontaine", "Ångström",
)
FEATURED_REPS = (("José", "García"), ("Zoë", "Müller"), ("Liam", "O'Brien"), ("Siobhán", "O'Connor"),
                 ("François", "Lefèvre"), ("Chloé", "D'Angelo"), ("Björn", "Ångström"))
EMAIL_DOMAIN = "huddle-demo.com"

ACCOUNT_HEADS = (
    "Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Cyberdyne", "Tyrell",
    "Vandelay", "Wonka", "Blue Harbor", "Red Rock", "Silverline", "Ironwood", "Bluebird", "Summit", "Evergreen",
    "Pinnacle", "Crescent", "Orion", "Atlas", "Polaris", "Meridian", "Horizon", "Keystone", "Redwood", "Granite",
    "Lighthouse", "O'Neil", "Harbor & Finch", "Nordic", "Sakura", "Andes", "Sahara", "Baltic", "Pacific",
    "Alpine", "Coral", "Falcon", "Lynx", "Maple", "Oakridge", "Quantum", "Riverside", "Sterling", "Trident",
    "Unity", "Vertex", "Willow", "Zenith", "Aurora", "Beacon", "Cobalt", "Delta", "Ember", "Fjord", "Gemini",
    "Helix",
)
ACCOUNT_CORES = (
    "Logistics", "Robotics", "Health", "Foods", "Analytics", "Energy", "Capital", "Retail", "Media", "Biotech",
    "Software", "Airlines", "Insurance", "Telecom", "Motors", "Pharma", "Textiles", "Mining", "Shipping",
    "Hotels", "Foods & Beverages", "Semiconductors", "Payments", "Learning", "Security", "Chemicals", "Farms",
    "Labs", "Networks", "Outdoor", "Studios", "Water", "Solar", "Steel", "Finance", "Games", "Travel", "Dental",
    "Fashion", "Data",
)
ACCOUNT_TAILS = (" Inc.", ", Inc.", " GmbH", " Ltd", " AG", " S.A.", " Group", " Holdings", " LLC", " Co.",
                 " Pty Ltd", " K.K.")
ACCOUNTS_PER_REP = 40

# Feedback note templates: {account} or {n} is filled per row. Keys: message name or "" (generic).
NOTE_TEMPLATES = {
    "": {
        "pos": ["Used it with {account} and it landed well.",
                "Good opener for discovery calls.",
                "Champion said \"this is exactly what our board asks about\".",
                "Easy to deliver, I used it on {n} calls this week."],
        "neu": ["Mixed reaction at {account}; they want to see it in a pilot first.",
                "No strong reaction either way.",
                "Used it once, too early to tell."],
    },
    "Security-First Value Prop": {
        "pos": ["Security team at {account} loved the compliance angle, especially SOC 2.",
                "The CISO asked for the threat-model one-pager.",
                "Data residency slide opened the door with legal."],
        "neg": ["Needs more customer proof points for regulated industries.",
                "Buyer said \"every vendor says security-first\", we need sharper differentiation.",
                "Procurement at {account} wanted the pen-test report before any call."],
    },
    "Platform Consolidation Story": {
        "pos": ["Architects at {account} liked the migration plan.",
                "Works once the exec sponsor is in the room."],
        "neg": ["Too long: the deck is {n} slides and we lost the room halfway through.",
                "Way too long for a first call, it takes 25 minutes before the demo.",
                "Prospects confused about which of their tools we actually replace.",
                "{account} asked \"so is this one product or five?\", prospects confused.",
                "Pricing claims challenged by procurement at {account}.",
                "The \"cut your tool spend by 40%\" line backfired; pricing claims need backup."],
    },
    "ROI Calculator Talk Track": {
        "pos": ["CFO at {account} engaged with the payback math.",
                "The calculator made the business case concrete, finance loved it.",
                "Payback of {n} months got the economic buyer's attention."],
        "neg": ["Buyer wanted benchmarks from their own industry.",
                "The spreadsheet needs a simpler input sheet; reps fumble it live.",
                "Finance at {account} asked to redo it with their own numbers."],
    },
    "AI Copilot Positioning": {
        "pos": ["Live copilot demo got a \"wow\" at {account}.",
                "Great hook for innovation-minded buyers.",
                "Ops leads asked for a trial after {n} minutes of demo."],
        "neg": ["Security review asked about data privacy and model training.",
                "They had seen a similar demo from a competitor, comparison questions.",
                "Demo environment was slow, hurt the story."],
    },
}
