"""The demo dataset: realistic, reproducible CRM records for one workspace, loaded with COPY.

``seed_demo`` calls :func:`demo_workspace_get_or_create` and :func:`demo_seed`. Every value
comes from a seeded ``random.Random`` and the word lists below (Faker is a dev dependency
only), and the rows go in with PostgreSQL ``COPY`` in the caller's transaction: 100,000
contacts with their emails, phones, companies, deals, notes, tasks, activities and timeline
load in well under a minute.

The services are not called: one service call per row is exactly what makes a large seed
slow. The rows are the ones the services would have written instead: a primary
``ContactEmail`` matching ``Contact.email``, ``contact.company`` mirroring the primary
company membership, contiguous deal positions per stage, one open stage-history row per deal,
and timeline events with the services' verbs and data.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import html
import io
import queue
import re
import threading
import unicodedata
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from random import Random
from typing import Any

import orjson
import psycopg
from django.conf import settings
from django.db import connection, models
from django.db.models import Max
from django.db.models.functions import Lower
from django.utils import timezone
from psycopg.copy import FileWriter

from accounts.models import ROLE_RANK, Membership, Role, User, Workspace, uuid7
from accounts.services.workspaces import user_create, workspace_create
from crm.models import (
    Activity,
    Company,
    CompanyMembership,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
    Note,
    Tag,
    Task,
    TimelineEvent,
)
from crm.normalize import render_markdown
from pipelines.models import Deal, DealContact, Pipeline, Stage, StageHistory, StageKind
from pipelines.services.pipelines import pipeline_create, pipeline_create_default

DEFAULT_SEED = 20240917

# --- Word lists ---------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    """The distinct whitespace-separated words of ``text``, in order."""
    return tuple(dict.fromkeys(text.split()))


FIRST_NAMES = _words(
    """
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Christopher Karen Daniel Lisa Matthew Nancy Anthony Betty Mark
Sandra Steven Ashley Andrew Emily Joshua Kimberly Kevin Donna Brian Michelle Ryan Carol Jacob
Amanda Nicholas Melissa Eric Rebecca Jonathan Laura Justin Rachel Samuel Hannah Benjamin Olivia
Ethan Emma Noah Sophia Liam Ava Lucas Isabella Oliver Mia Elijah Charlotte Henry Amelia Alexander
Harper Sebastian Evelyn Jack Abigail Owen Grace Leo Chloe Julian Zoe Isaac Nora Gabriel Lily Mateo
Aria Santiago Camila Diego Valentina Alejandro Lucia Carlos Sofia Javier Elena Miguel Carmen Pablo
Ines Luis Paula Jorge Marta Andrés Julia Tomás Clara Felix Lea Lukas Jonas Anna Maximilian Lena
Paul Marie Finn Emilia Niklas Johanna Moritz Katharina Jürgen Camille Hugo Manon Arthur Antoine
Juliette Mathieu Amélie Nicolas Margaux Pierre Élise François Noémie Matteo Giulia Lorenzo Chiara
Alessandro Francesca Luca Martina Davide Alessia Lars Ingrid Erik Astrid Nils Freya Magnus Sigrid
Anders Maja Søren Björn Elin Daan Sanne Bram Fleur Sem Noor Arjun Priya Rahul Ananya Vikram Aisha
Rohan Neha Aditya Kavya Sanjay Deepa Wei Mei Jun Lin Hao Xin Yuki Haruto Sakura Kenji Aiko Hiroshi
Minjun Jiwoo Seojun Hana Kwame Amara Chinedu Ngozi Tunde Zainab Omar Fatima Ahmed Layla Yusuf
Mariam Ali Noura Hassan Leila Mehmet Elif Emre Zeynep Siobhan Declan Aoife Cian Niamh Oisín Saoirse
Ewan Isla Callum Eilidh Rhys Cerys Dylan Ffion Mateus Beatriz João Ana Rafael Larissa Tiago
Fernanda Ivan Olga Dmitri Natalia Piotr Agnieszka Jakub Zuzana Tomasz Katarzyna Andrei Ioana José
Zoë Renée Marcus Priscilla Victor Rosa Simon Helen Adam Ruth Peter Alice Frank Diana Martin Joan
"""
)

LAST_NAMES = _words(
    """
Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson Martin Lee
Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill Green Adams
Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart
Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Bell Kelly Howard Ward Cox Richardson
Wood Watson Brooks Bennett Gray James Hughes Price Sanders Myers Long Foster Powell Jenkins Perry
Russell Sullivan Fisher Henderson Coleman Patterson Jordan Graham Reynolds Hamilton Wallace West
Cole Hayes Bryant Gibson Ellis Stevens Murray Ford Marshall Owens McDonald Harrison Kennedy Wells
O'Brien O'Connor Byrne Doyle Walsh Gallagher Quinn Fitzgerald García Martínez Rodríguez López
González Pérez Sánchez Ramírez Torres Flores Rivera Gómez Díaz Morales Ortiz Castillo Romero
Navarro Ruiz Molina Delgado Vargas Castro Müller Schmidt Schneider Fischer Weber Meyer Wagner
Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein Wolf Neumann Schwarz Zimmermann Braun
Krüger Hartmann Lange Dubois Durand Lefebvre Moreau Laurent Simon Michel Garnier Fontaine Rousseau
Girard Bonnet Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo
Conti Costa Mancini Lombardi Jansen Visser Smit Bakker Janssen Mulder Bos Vos Peters Hendriks
Dekker Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Lindberg Lindqvist
Jørgensen Hansen Nielsen Pedersen Kristensen Berg Haugen Lund Virtanen Korhonen Nieminen Mäkinen
Patel Sharma Singh Kumar Gupta Mehta Reddy Iyer Nair Rao Desai Kapoor Chopra Banerjee Mukherjee
Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin Tanaka Suzuki Takahashi
Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Sato Kim Park Choi Jung Kang Cho Yoon Nguyen
Tran Pham Le Hoang Okafor Adeyemi Mensah Boateng Nwosu Abubakar Diallo Traoré Haddad Khoury
Nasser Rahman Hussain Khan Ahmed Aziz Yilmaz Kaya Demir Şahin Çelik Silva Santos Oliveira Souza
Pereira Almeida Ferreira Carvalho Ribeiro Gomes Kowalski Nowak Wiśniewski Wójcik Novák Horvat
Popescu Ionescu Ivanov Petrov Smirnov Volkov Kuznetsov Sokolov Cohen Levi Friedman Katz Stein
D'Souza Fernandes Pinto MacLeod Campbell Stewart Robertson Thomson Fraser Ross Hughes Lloyd Price
"""
)

# First part of a company name, and second part with the industry it suggests (None: any).
COMPANY_ROOTS = _words(
    """
Northwind Bluepeak Brightline Cedar Copperleaf Evergreen Ironclad Lumen Meridian Nimbus Oakridge
Pinecrest Quantum Redwood Silverline Summit Tidewater Vertex Willow Zenith Alder Apex Arbor Aspen
Atlas Aurora Beacon Birch Bluebird Boulder Bridgewater Canyon Cascade Catalyst Clearwater Cobalt
Compass Coral Crescent Crestview Crimson Cypress Delta Driftwood Eastgate Echo Ember Emerald Falcon
Fernwood Firefly Flagstone Foxglove Frontier Galaxy Garnet Glacier Granite Graphite Greenfield
Harbor Harvest Hawthorne Highland Horizon Indigo Iris Juniper Keystone Kestrel Lakeside Lantern
Larkspur Linden Lighthouse Lodestar Magnolia Maple Marble Mariner Meadow Mosaic Nautilus Nova
Oasis Obsidian Onyx Orchard Orion Pacific Paragon Pebble Pelican Pinnacle Polaris Prairie Prism
Quarry Radiant Rainier Raven Ridgeline Riverbend Rockwell Sable Saffron Sage Sapphire Sequoia
Shoreline Sierra Skyline Solstice Sparrow Spruce Starling Sterling Stonebridge Sunrise Tamarack
Terra Thistle Timber Topaz Trailhead Trident Tundra Union Valley Vantage Velvet Verdant Vista
Wavecrest Westbrook Whitestone Wildflower Windmill Wolfe Yarrow
"""
)

COMPANY_NOUNS: tuple[tuple[str, str | None], ...] = (
    ("Analytics", "Software"),
    ("Labs", "Software"),
    ("Software", "Software"),
    ("Systems", "Information Technology"),
    ("Cloud", "Information Technology"),
    ("Networks", "Telecommunications"),
    ("Telecom", "Telecommunications"),
    ("Logistics", "Transportation & Logistics"),
    ("Freight", "Transportation & Logistics"),
    ("Mobility", "Transportation & Logistics"),
    ("Health", "Healthcare"),
    ("Clinics", "Healthcare"),
    ("Dental", "Healthcare"),
    ("Biotech", "Biotechnology"),
    ("Pharma", "Pharmaceuticals"),
    ("Foods", "Food & Beverage"),
    ("Brewing", "Food & Beverage"),
    ("Kitchens", "Food & Beverage"),
    ("Energy", "Energy"),
    ("Solar", "Renewable Energy"),
    ("Wind", "Renewable Energy"),
    ("Robotics", "Industrial Automation"),
    ("Manufacturing", "Manufacturing"),
    ("Materials", "Manufacturing"),
    ("Instruments", "Electronics"),
    ("Semiconductors", "Electronics"),
    ("Capital", "Financial Services"),
    ("Payments", "Financial Services"),
    ("Insurance", "Insurance"),
    ("Realty", "Real Estate"),
    ("Properties", "Real Estate"),
    ("Construction", "Construction"),
    ("Architecture", "Architecture & Planning"),
    ("Media", "Media"),
    ("Studios", "Media"),
    ("Publishing", "Publishing"),
    ("Games", "Gaming"),
    ("Retail", "Retail"),
    ("Apparel", "Apparel & Fashion"),
    ("Outdoors", "Consumer Goods"),
    ("Home", "Consumer Goods"),
    ("Security", "Cybersecurity"),
    ("Travel", "Travel & Hospitality"),
    ("Hospitality", "Travel & Hospitality"),
    ("Learning", "Education"),
    ("Academy", "Education"),
    ("Fitness", "Health & Wellness"),
    ("Legal", "Legal Services"),
    ("Recruiting", "Staffing & Recruiting"),
    ("Marketing", "Marketing & Advertising"),
    ("Design", "Design"),
    ("Aerospace", "Aerospace"),
    ("Marine", "Maritime"),
    ("Farms", "Agriculture"),
    ("Water", "Utilities"),
    ("Chemicals", "Chemicals"),
    ("Motors", "Automotive"),
    ("Consulting", "Management Consulting"),
    ("Advisory", "Management Consulting"),
    ("Partners", None),
    ("Group", None),
    ("Holdings", None),
    ("Solutions", None),
    ("Dynamics", None),
    ("Technologies", None),
    ("Industries", None),
    ("Ventures", None),
    ("Works", None),
    ("Collective", None),
)
INDUSTRIES = tuple(sorted({industry for _, industry in COMPANY_NOUNS if industry}))


@dataclass(frozen=True)
class PhoneSpec:
    """Numbers ``prefix + one of first_digits + (length - 1) digits``: ranges that
    ``phonenumbers`` accepts as valid for the country."""

    prefixes: tuple[str, ...]
    length: int
    first_digits: str = "0123456789"


def _us(*area_codes: str) -> PhoneSpec:
    return PhoneSpec(tuple(f"+1{code}" for code in area_codes), 7, "23456789")


@dataclass(frozen=True)
class City:
    name: str
    state: str
    country: str
    weight: int
    office: PhoneSpec


_MOBILE: dict[str, PhoneSpec] = {
    "GB": PhoneSpec(("+4475", "+4478"), 8),
    "DE": PhoneSpec(("+49151", "+49152", "+49157"), 8),
    "FR": PhoneSpec(("+3361", "+3362", "+3364", "+3366", "+3367"), 7),
    "ES": PhoneSpec(("+346",), 8),
    "NL": PhoneSpec(("+316",), 8, "12345"),
    "IE": PhoneSpec(("+35383", "+35385", "+35386", "+35387"), 7),
    "SE": PhoneSpec(("+4670", "+4672", "+4673", "+4676"), 7),
    "IT": PhoneSpec(("+393",), 9, "23456789"),
    "AU": PhoneSpec(("+6140", "+6141"), 7),
    "JP": PhoneSpec(("+8190",), 8, "123456789"),
    "BR": PhoneSpec(("+55119",), 8, "6789"),
    "IN": PhoneSpec(("+919",), 9),
}

CITIES: tuple[City, ...] = (
    City("New York", "NY", "US", 14, _us("212", "646", "917", "332")),
    City("San Francisco", "CA", "US", 8, _us("415", "628")),
    City("Boston", "MA", "US", 5, _us("617", "857")),
    City("Chicago", "IL", "US", 6, _us("312", "773")),
    City("Seattle", "WA", "US", 4, _us("206")),
    City("Austin", "TX", "US", 4, _us("512", "737")),
    City("Denver", "CO", "US", 3, _us("303", "720")),
    City("Los Angeles", "CA", "US", 5, _us("213", "310", "323")),
    City("Atlanta", "GA", "US", 3, _us("404", "470")),
    City("Miami", "FL", "US", 2, _us("305", "786")),
    City("Nashville", "TN", "US", 1, _us("615")),
    City("Portland", "OR", "US", 1, _us("503", "971")),
    City("San Jose", "CA", "US", 2, _us("408", "669")),
    City("Toronto", "ON", "CA", 4, _us("416", "647")),
    City("Vancouver", "BC", "CA", 2, _us("604", "778")),
    City("Montreal", "QC", "CA", 2, _us("514", "438")),
    City("London", "", "GB", 9, PhoneSpec(("+44203", "+44207", "+44208"), 7)),
    City("Manchester", "", "GB", 2, PhoneSpec(("+44161",), 7, "2345678")),
    City("Berlin", "", "DE", 4, PhoneSpec(("+4930",), 8, "23456789")),
    City("Munich", "", "DE", 3, PhoneSpec(("+4989",), 8, "23456789")),
    City("Paris", "", "FR", 5, PhoneSpec(("+331",), 8)),
    City("Madrid", "", "ES", 2, PhoneSpec(("+3491",), 7, "2345")),
    City("Barcelona", "", "ES", 2, PhoneSpec(("+3493",), 7, "2345")),
    City("Amsterdam", "", "NL", 3, PhoneSpec(("+3120",), 7, "2345678")),
    City("Dublin", "", "IE", 2, PhoneSpec(("+3531",), 7, "2345678")),
    City("Stockholm", "", "SE", 2, PhoneSpec(("+468",), 8, "23456789")),
    City("Milan", "", "IT", 2, PhoneSpec(("+3902",), 8, "2345678")),
    City("Sydney", "NSW", "AU", 3, PhoneSpec(("+6129",), 7, "2345678")),
    City("Melbourne", "VIC", "AU", 2, PhoneSpec(("+6139",), 7, "2345678")),
    City("Tokyo", "", "JP", 2, PhoneSpec(("+813",), 8, "23456789")),
    City("São Paulo", "SP", "BR", 2, PhoneSpec(("+5511",), 8, "2345")),
    City("Bangalore", "KA", "IN", 2, PhoneSpec(("+9180",), 8, "2346")),
)

_TLDS: dict[str, tuple[str, ...]] = {
    "US": ("com", "com", "com", "io", "co", "ai", "net"),
    "CA": ("ca", "com"),
    "GB": ("co.uk", "com", "io"),
    "DE": ("de", "com"),
    "FR": ("fr", "com"),
    "ES": ("es", "com"),
    "NL": ("nl", "com"),
    "IE": ("ie", "com"),
    "SE": ("se", "com"),
    "IT": ("it", "com"),
    "AU": ("com.au", "com"),
    "JP": ("co.jp", "jp", "com"),
    "BR": ("com.br", "com"),
    "IN": ("in", "co.in", "com"),
}
_LEGAL_SUFFIXES: dict[str, tuple[str, ...]] = {
    "US": ("Inc.", "LLC", "Corp."),
    "CA": ("Inc.", "Ltd."),
    "GB": ("Ltd",),
    "IE": ("Ltd",),
    "DE": ("GmbH", "AG"),
    "FR": ("SAS", "SA"),
    "ES": ("S.L.",),
    "NL": ("B.V.",),
    "SE": ("AB",),
    "IT": ("S.r.l.",),
    "AU": ("Pty Ltd",),
    "JP": ("K.K.",),
    "BR": ("Ltda.",),
    "IN": ("Pvt Ltd",),
}
_STREETS: dict[str, tuple[str, ...]] = {
    "US": ("Main Street", "Market Street", "Oak Avenue", "Pine Street", "Broadway", "2nd Avenue"),
    "CA": ("King Street West", "Granville Street", "Rue Sainte-Catherine", "Bay Street"),
    "GB": ("High Street", "Old Street", "Oxford Road", "King's Road", "Victoria Street"),
    "IE": ("Grafton Street", "Baggot Street", "Harcourt Street"),
    "DE": ("Hauptstraße", "Friedrichstraße", "Leopoldstraße", "Torstraße"),
    "FR": ("Rue de Rivoli", "Boulevard Haussmann", "Rue du Faubourg Saint-Antoine"),
    "ES": ("Calle de Alcalá", "Passeig de Gràcia", "Gran Vía"),
    "NL": ("Herengracht", "Keizersgracht", "Damrak"),
    "SE": ("Drottninggatan", "Sveavägen", "Birger Jarlsgatan"),
    "IT": ("Via Torino", "Corso Buenos Aires", "Via Montenapoleone"),
    "AU": ("George Street", "Collins Street", "Pitt Street"),
    "JP": ("Marunouchi", "Shibuya", "Roppongi"),
    "BR": ("Avenida Paulista", "Rua Augusta", "Rua Oscar Freire"),
    "IN": ("MG Road", "Brigade Road", "Residency Road"),
}
_ZIP_FORMATS: dict[str, str] = {
    "US": "#####",
    "CA": "@#@ #@#",
    "GB": "@@# #@@",
    "IE": "D## @#@#",
    "DE": "#####",
    "FR": "75###",
    "ES": "08###",
    "NL": "10## @@",
    "SE": "1## ##",
    "IT": "201##",
    "AU": "2###",
    "JP": "1##-####",
    "BR": "0####-###",
    "IN": "560###",
}

JOB_TITLES: tuple[tuple[str, int], ...] = (
    ("CEO", 3),
    ("CTO", 2),
    ("CFO", 2),
    ("COO", 1),
    ("Founder", 2),
    ("VP of Sales", 3),
    ("VP of Engineering", 2),
    ("VP of Marketing", 2),
    ("Head of Operations", 3),
    ("Head of Procurement", 3),
    ("Head of Product", 2),
    ("Director of IT", 3),
    ("Director of Finance", 2),
    ("Engineering Manager", 4),
    ("Product Manager", 5),
    ("Marketing Manager", 5),
    ("Sales Manager", 5),
    ("Account Executive", 4),
    ("Operations Manager", 4),
    ("Procurement Specialist", 3),
    ("Office Manager", 3),
    ("Software Engineer", 6),
    ("Data Analyst", 4),
    ("Designer", 3),
    ("HR Business Partner", 2),
    ("Customer Success Manager", 3),
    ("Finance Manager", 3),
    ("Legal Counsel", 1),
    ("IT Administrator", 3),
    ("Executive Assistant", 2),
)
FREELANCE_TITLES = ("Consultant", "Freelance designer", "Independent advisor", "Investor", "")

TAGS: tuple[tuple[str, str], ...] = (
    ("Newsletter", "#64748b"),
    ("Decision maker", "#ef4444"),
    ("Warm lead", "#f97316"),
    ("VIP", "#eab308"),
    ("Enterprise", "#6366f1"),
    ("Webinar attendee", "#06b6d4"),
    ("SMB", "#22c55e"),
    ("Champion", "#a855f7"),
    ("Referral", "#14b8a6"),
    ("Trial", "#3b82f6"),
    ("Churn risk", "#dc2626"),
    ("Partner", "#8b5cf6"),
    ("Event: Web Summit", "#0ea5e9"),
    ("Upsell", "#84cc16"),
    ("Renewal due", "#f59e0b"),
    ("Beta tester", "#ec4899"),
    ("Investor", "#10b981"),
    ("Press", "#78716c"),
    ("Do not call", "#991b1b"),
    ("Reseller", "#4f46e5"),
)

DEAL_PRODUCTS = (
    "Annual subscription",
    "Enterprise plan",
    "Team plan",
    "Pilot",
    "Renewal",
    "Expansion",
    "Onboarding package",
    "Premium support",
    "Consulting engagement",
    "Data migration",
    "Training workshop",
    "Multi-year agreement",
    "API add-on",
    "Analytics add-on",
    "Security add-on",
)
PARTNER_PRODUCTS = (
    "Reseller agreement",
    "Integration partnership",
    "Referral partnership",
    "Co-marketing campaign",
    "Technology alliance",
)
DEAL_CONTACT_ROLES = (
    "Decision maker",
    "Champion",
    "Economic buyer",
    "Technical evaluator",
    "Influencer",
    "User",
)
DEFAULT_LOST_REASON = "No decision"

NOTE_TEMPLATES = (
    "Spoke with {first}: they are comparing options for Q{quarter}. Budget is **approved**; "
    "follow up after their board meeting.",
    "## Meeting notes\n\n- Current tool: spreadsheets\n- Pain: reporting takes {hours} hours a "
    "week\n- Next step: send pricing for {seats} seats",
    "{first} asked for our security questionnaire and SOC 2 report. Sent both.",
    "Met {first} at the conference booth. Interested in the *integrations* roadmap.",
    "Renewal comes up in {month}. {first} mentioned they may expand to the {team} team.",
    "Decision is with {first}'s manager. Our champion is positive; procurement is slow.",
    "Introduced by a mutual contact. {first} runs {team} at {company}.",
    "Pricing feedback: too high for the current team size. Offer the annual plan discount.",
    "Onboarding checklist for {company}:\n\n1. SSO setup\n2. Data import\n3. Admin training "
    "with {first}",
    "{company} is consolidating vendors this year; we need to show value before {month}.",
    "Great call. {first} wants a trial for {seats} users and a follow-up demo for the {team} team.",
    "> We need this live before {month}.\n\n{first}, on timing. Legal review takes two weeks.",
)
_NOTE_FIELDS = ("first", "company", "team", "month", "quarter", "hours", "seats")
TEAMS = ("sales", "finance", "operations", "marketing", "engineering", "support", "IT", "HR")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

TASK_TITLES = {
    "contact": (
        "Follow up with {first}",
        "Send case study to {first}",
        "Call {first} back",
        "Schedule a demo with {first}",
        "Send {first} the pricing sheet",
    ),
    "company": (
        "Map the {company} org chart",
        "Review the {company} account plan",
        "Prepare the QBR for {company}",
        "Check {company} usage numbers",
    ),
    "deal": (
        "Send proposal for {deal}",
        "Get legal review of the {company} contract",
        "Confirm budget with {first}",
        "Prepare pricing options for {company}",
        "Schedule negotiation call with {first}",
    ),
    "": (
        "Update the pipeline forecast",
        "Clean up stale leads",
        "Prepare the weekly sales report",
        "Book travel for the conference",
        "Review the new pricing page",
    ),
}

# (type, subjects, bodies, outcomes, durations)
ACTIVITY_KINDS: dict[str, dict[str, Any]] = {
    "call": {
        "weight": 40,
        "subjects": (
            "Intro call",
            "Discovery call",
            "Follow-up call",
            "Pricing discussion",
            "Check-in call",
            "Renewal call",
        ),
        "bodies": (
            "Talked through their current process and where it breaks down.",
            "Walked {first} through pricing tiers; they will discuss internally.",
            "Short check-in. No blockers, waiting on their IT review.",
            "Left a voicemail and sent a follow-up email.",
            "{first} confirmed the timeline and asked for references.",
        ),
        "outcomes": ("Connected", "Connected", "Left voicemail", "No answer", "Follow-up booked"),
        "durations": (5, 10, 15, 20, 30, 45),
    },
    "email": {
        "weight": 35,
        "subjects": (
            "Re: Proposal",
            "Introduction",
            "Pricing details",
            "Next steps",
            "Contract draft",
            "Quick question",
        ),
        "bodies": (
            "Sent the proposal and the implementation plan.",
            "Shared two customer stories from their industry.",
            "{first} replied with questions about data residency.",
            "Sent the contract draft for legal review.",
            "Followed up on last week's demo.",
        ),
        "outcomes": ("", "", "Replied", "Opened"),
        "durations": (None,),
    },
    "meeting": {
        "weight": 25,
        "subjects": (
            "Product demo",
            "Kick-off meeting",
            "Quarterly business review",
            "On-site visit",
            "Technical deep dive",
            "Negotiation meeting",
        ),
        "bodies": (
            "Demo went well; the {team} team wants a trial.",
            "Reviewed goals for the next quarter with {first}.",
            "Deep dive on the API and SSO with their engineers.",
            "Agreed on scope; procurement will send the paperwork.",
            "Met the wider team; two new stakeholders joined.",
        ),
        "outcomes": ("Positive", "Positive", "Needs follow-up", "Demo given", "Stalled"),
        "durations": (30, 45, 60, 60, 90),
    },
}

DEMO_TEAM: tuple[tuple[str, str, str, float], ...] = (
    # (name, email local part, role, share of the records they own)
    ("Priya Patel", "priya.patel", Role.ADMIN, 0.27),
    ("Marcus Chen", "marcus.chen", Role.MEMBER, 0.16),
    ("Sofia Rossi", "sofia.rossi", Role.MEMBER, 0.10),
    ("Tom Becker", "tom.becker", Role.VIEWER, 0.0),
)
DEMO_OWNER_SHARE = 0.42
DEMO_EXTRA_PIPELINE: dict[str, Any] = {
    "name": "Partnerships",
    "stages": [
        {"name": "Identified", "kind": StageKind.OPEN, "probability": 10, "color": "#94a3b8"},
        {"name": "First meeting", "kind": StageKind.OPEN, "probability": 30, "color": "#60a5fa"},
        {
            "name": "Agreement drafted",
            "kind": StageKind.OPEN,
            "probability": 60,
            "color": "#818cf8",
        },
        {"name": "Signed", "kind": StageKind.WON, "probability": 100, "color": "#22c55e"},
        {"name": "Declined", "kind": StageKind.LOST, "probability": 0, "color": "#ef4444"},
    ],
    "lost_reasons": ["Not a fit", "No capacity", "Chose another partner"],
}


# --- Helpers ------------------------------------------------------------------------------------

_FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "ł": "l", "Ł": "L"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=4096)
def ascii_slug(text: str) -> str:
    """``"Søren O'Brien"`` → ``"sorenobrien"``: for email local parts and domains."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return _NON_ALNUM.sub("", folded.encode("ascii", "ignore").decode().lower())


def excerpt(text: str, length: int = 140) -> str:
    """The timeline's one-line excerpt of a note or activity body (as the services write)."""
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class _Picker:
    """Weighted choice in O(log n) per draw, from precomputed cumulative weights."""

    def __init__(self, rng: Random, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative: list[float] = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.total = total
        self.random = rng.random

    def __call__(self) -> Any:
        index = bisect.bisect_right(self.cumulative, self.random() * self.total)
        return self.items[min(index, len(self.items) - 1)]


class _Rows:
    """Rows for one table, each a tuple in the order of ``fields`` (model field names)."""

    def __init__(self, name: str, model: type[models.Model], fields: Sequence[str]) -> None:
        self.name = name
        self.model = model
        self.columns = [model._meta.get_field(field).column for field in fields]
        self.rows: list[tuple[Any, ...]] = []
        self.add = self.rows.append

    def __len__(self) -> int:
        return len(self.rows)

    def take(self) -> list[tuple[Any, ...]]:
        """The rows so far; the table starts empty again."""
        rows = self.rows
        self.rows = []
        self.add = self.rows.append
        return rows

    def copy_sql(self) -> str:
        quote = connection.ops.quote_name
        return "COPY {} ({}) FROM STDIN".format(
            quote(self.model._meta.db_table), ", ".join(quote(c) for c in self.columns)
        )


class _Loader:
    """COPYs batches of rows on a worker thread while the builder goes on generating.

    Generating rows is Python's work and loading them (index and constraint upkeep) is
    PostgreSQL's, so the two overlap. The builder's thread turns each batch into COPY text
    (it holds the GIL anyway); the worker only streams the bytes, which leaves the GIL free,
    on the command's own connection, inside its transaction. The builder does not touch the
    database until :meth:`close`.
    """

    def __init__(self) -> None:
        connection.ensure_connection()
        self.raw = connection.connection
        # Formats rows only (into a buffer): it never talks to the server.
        self._formatter = self.raw.cursor()
        self.counts: dict[str, int] = defaultdict(int)
        self.error: BaseException | None = None
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="seed-demo-copy", daemon=True)
        self._thread.start()

    def __call__(self, table: _Rows) -> None:
        if self.error is not None:
            raise self.error
        rows = table.take()
        if not rows:
            return
        buffer = io.BytesIO()
        with psycopg.Copy(self._formatter, binary=False, writer=FileWriter(buffer)) as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)
        self.counts[table.name] += len(rows)
        self._queue.put((table.copy_sql(), buffer.getvalue()))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self.error is not None:
                continue
            sql, data = item
            try:
                with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
                    copy.write(data)
            except BaseException as error:  # handed to the builder's thread
                self.error = error

    def close(self) -> dict[str, int]:
        """Wait for the last batch; the rows loaded per table. Re-raises a COPY's error."""
        self._queue.put(None)
        self._thread.join()
        self._formatter.close()
        if self.error is not None:
            raise self.error
        return dict(self.counts)

    def abort(self) -> None:
        """Skip what is still queued (the builder failed) and wait for the worker."""
        if self.error is None:
            self.error = RuntimeError("The demo seed was aborted.")
        self._queue.put(None)
        self._thread.join()
        self._formatter.close()


@dataclass(frozen=True)
class _StageInfo:
    id: uuid.UUID
    name: str
    kind: str
    probability: int


@dataclass
class _PipelineInfo:
    id: uuid.UUID
    name: str
    is_default: bool
    open_stages: list[_StageInfo]
    won_stages: list[_StageInfo]
    lost_stages: list[_StageInfo]
    lost_reasons: list[str]


@dataclass(frozen=True)
class Owner:
    """A member who owns records, with their share of them."""

    id: uuid.UUID
    name: str
    weight: float


class _Company:
    __slots__ = ("created_at", "domain", "employees", "id", "last_activity", "name", "owner_id")

    def __init__(
        self, id: uuid.UUID, name: str, domain: str, created_at: datetime.datetime, owner_id: Any
    ) -> None:
        self.id = id
        self.name = name
        self.domain = domain
        self.created_at = created_at
        self.owner_id = owner_id
        self.employees: list[_Contact] = []
        self.last_activity: datetime.datetime | None = None


class _Contact:
    __slots__ = ("created_at", "first", "id", "last_activity", "name", "owner_id")

    def __init__(
        self, id: uuid.UUID, first: str, name: str, created_at: datetime.datetime, owner_id: Any
    ) -> None:
        self.id = id
        self.first = first
        self.name = name
        self.created_at = created_at
        self.owner_id = owner_id
        self.last_activity: datetime.datetime | None = None


class _Deal:
    __slots__ = (
        "company",
        "contacts",
        "created_at",
        "end",
        "id",
        "is_open",
        "last_activity",
        "owner_id",
    )

    def __init__(self) -> None:
        self.last_activity: datetime.datetime | None = None


# --- The generator ------------------------------------------------------------------------------


class DemoBuilder:
    """Generates the rows of a demo dataset and hands them, a batch at a time, to ``sink``
    (a :class:`_Loader` in :func:`demo_seed`).

    ``existing_*`` are what the workspace holds already (lowercased emails and domains, tags
    by lowercased name, the last deal position per stage), so that a second seed into the
    same workspace adds to it without breaking a unique constraint or a stage's positions.
    """

    def __init__(
        self,
        *,
        workspace: Workspace,
        owners: Sequence[Owner],
        pipelines: Sequence[_PipelineInfo],
        seed: int,
        now: datetime.datetime,
        existing_emails: set[str] | None = None,
        existing_domains: set[str] | None = None,
        existing_tags: dict[str, uuid.UUID] | None = None,
        last_positions: dict[uuid.UUID, int] | None = None,
        sink: Callable[[_Rows], None] | None = None,
    ) -> None:
        self.sink = sink
        self.workspace_id = workspace.pk
        self.tz = zoneinfo.ZoneInfo(workspace.timezone or "UTC")
        self.currency = workspace.default_currency or "USD"
        self.rng = Random(seed)
        self._random = self.rng.random
        self.now = now
        self.owners = list(owners)
        self.owner_names = {o.id: o.name for o in self.owners}
        self.fallback_actor = self.owners[0] if self.owners else None
        self.pick_owner = _Picker(
            self.rng, [o.id for o in self.owners] + [None], [o.weight for o in self.owners] + [0.04]
        )
        self.pipelines = list(pipelines)
        self.used_emails = set(existing_emails or ())
        self.used_domains = set(existing_domains or ())
        self.existing_tags = dict(existing_tags or {})
        self.last_positions = dict(last_positions or {})
        self.used_phones: set[str] = set()
        self.pick_city = _Picker(self.rng, CITIES, [c.weight for c in CITIES])
        self.pick_title = _Picker(self.rng, [t for t, _ in JOB_TITLES], [w for _, w in JOB_TITLES])
        self.pick_activity = _Picker(
            self.rng, list(ACTIVITY_KINDS), [k["weight"] for k in ACTIVITY_KINDS.values()]
        )
        self._count_pickers: dict[tuple[float, ...], _Picker] = {}
        self._note_templates = self._prerender_notes()
        self._make_tables()

    def _make_tables(self) -> None:
        ts = ("id", "workspace", "created_at", "updated_at")
        self.tags = _Rows("tags", Tag, (*ts, "name", "color"))
        self.companies = _Rows(
            "companies",
            Company,
            (
                *ts,
                "name",
                "domain",
                "industry",
                "relationship",
                "lifecycle",
                "owner",
                "size",
                "annual_revenue",
                "address",
                "custom_fields",
                "last_activity_at",
            ),
        )
        self.company_phones = _Rows(
            "company_phones", CompanyPhone, (*ts, "company", "value", "label", "is_primary")
        )
        self.contacts = _Rows(
            "contacts",
            Contact,
            (
                *ts,
                "first_name",
                "last_name",
                "email",
                "job_title",
                "company",
                "status",
                "source",
                "owner",
                "address",
                "social_profiles",
                "custom_fields",
                "engagement_score",
                "last_activity_at",
            ),
        )
        self.contact_emails = _Rows(
            "contact_emails", ContactEmail, (*ts, "contact", "value", "label", "is_primary")
        )
        self.contact_phones = _Rows(
            "contact_phones", ContactPhone, (*ts, "contact", "value", "label", "is_primary")
        )
        self.memberships = _Rows(
            "company_memberships",
            CompanyMembership,
            (*ts, "contact", "company", "role", "is_primary", "started_at", "ended_at"),
        )
        self.contact_tags = _Rows("contact_tags", Contact.tags.through, ("contact", "tag"))
        self.company_tags = _Rows("company_tags", Company.tags.through, ("company", "tag"))
        self.deals = _Rows(
            "deals",
            Deal,
            (
                *ts,
                "title",
                "pipeline",
                "stage",
                "status",
                "position",
                "amount",
                "currency",
                "probability",
                "expected_close_date",
                "closed_at",
                "owner",
                "company",
                "lost_reason",
                "custom_fields",
                "stage_entered_at",
                "last_activity_at",
            ),
        )
        self.deal_contacts = _Rows("deal_contacts", DealContact, (*ts, "deal", "contact", "role"))
        self.deal_tags = _Rows("deal_tags", Deal.tags.through, ("deal", "tag"))
        self.stage_history = _Rows(
            "stage_history",
            StageHistory,
            (*ts, "deal", "stage", "stage_name", "from_stage", "entered_at", "left_at", "actor"),
        )
        self.notes = _Rows(
            "notes",
            Note,
            (*ts, "subject_type", "subject_id", "body", "body_html", "author", "pinned"),
        )
        self.tasks = _Rows(
            "tasks",
            Task,
            (
                *ts,
                "title",
                "description",
                "due_at",
                "priority",
                "assignee",
                "created_by",
                "completed_at",
                "subject_type",
                "subject_id",
            ),
        )
        self.activities = _Rows(
            "activities",
            Activity,
            (
                *ts,
                "type",
                "subject_type",
                "subject_id",
                "subject",
                "body",
                "occurred_at",
                "duration_minutes",
                "direction",
                "outcome",
                "created_by",
            ),
        )
        self.participants = _Rows(
            "activity_participants", Activity.participants.through, ("activity", "contact")
        )
        self.timeline = _Rows(
            "timeline_events",
            TimelineEvent,
            (
                *ts,
                "subject_type",
                "subject_id",
                "verb",
                "actor",
                "actor_name",
                "changes",
                "data",
            ),
        )

    @property
    def tables(self) -> list[_Rows]:
        """Every table, parents before children."""
        return [
            self.tags,
            self.companies,
            self.company_phones,
            self.contacts,
            self.contact_emails,
            self.contact_phones,
            self.memberships,
            self.contact_tags,
            self.company_tags,
            self.deals,
            self.deal_contacts,
            self.deal_tags,
            self.stage_history,
            self.notes,
            self.tasks,
            self.activities,
            self.participants,
            self.timeline,
        ]

    def _emit(self, *tables: _Rows) -> None:
        """Hand the rows built so far to the sink (when there is one), in the order given."""
        if self.sink is None:
            return
        for table in tables:
            if table.rows:
                self.sink(table)

    def _emit_progress(self) -> None:
        """Pass on every row that is final, parents before children, to keep the loader
        busy. Companies and deals wait for the end: they learn their last activity late."""
        self._emit(
            self.contacts,
            self.contact_emails,
            self.contact_phones,
            self.memberships,
            self.contact_tags,
            self.company_phones,
            self.company_tags,
            self.deal_contacts,
            self.deal_tags,
            self.stage_history,
            self.notes,
            self.tasks,
            self.activities,
            self.participants,
            self.timeline,
        )

    # --- small generators ---------------------------------------------------------------------

    def _choice(self, items: Sequence[Any]) -> Any:
        """``random.choice`` without its overhead (it is called millions of times)."""
        return items[int(self._random() * len(items))]

    def _between(self, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
        if end <= start:
            return start
        return start + (end - start) * self.rng.random()

    def _created_times(self, count: int, days: int) -> list[datetime.datetime]:
        """``count`` creation times over the last ``days`` days, more of them recent (a
        growing business), in ascending order so that ids and creation order agree."""
        random = self.rng.random
        span = datetime.timedelta(days=days)
        now = self.now
        return sorted(now - span * (random() ** 1.6) for _ in range(count))

    def _phone(self, spec: PhoneSpec) -> str:
        rng = self.rng
        while True:
            rest = spec.length - 1
            number = (
                self._choice(spec.prefixes)
                + self._choice(spec.first_digits)
                + f"{rng.randrange(10**rest):0{rest}d}"
            )
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def _pattern(self, pattern: str) -> str:
        rng = self.rng
        return "".join(
            str(rng.randrange(10))
            if ch == "#"
            else chr(65 + rng.randrange(26))
            if ch == "@"
            else ch
            for ch in pattern
        )

    def _address(self, city: City, *, street: bool) -> dict[str, str]:
        address: dict[str, str] = {}
        if street:
            address["street"] = f"{self.rng.randint(1, 480)} {self._choice(_STREETS[city.country])}"
        address["city"] = city.name
        if city.state:
            address["state"] = city.state
        if street:
            address["zip"] = self._pattern(_ZIP_FORMATS[city.country])
        address["country"] = city.country
        return address

    def _actor(self, owner_id: Any) -> tuple[Any, str]:
        if owner_id is None:
            if self.fallback_actor is None:
                return None, "System"
            return self.fallback_actor.id, self.fallback_actor.name
        return owner_id, self.owner_names[owner_id]

    def _event(
        self,
        when: datetime.datetime,
        subject_type: str,
        subject_id: uuid.UUID,
        verb: str,
        owner_id: Any,
        data: dict[str, Any],
    ) -> None:
        actor_id, actor_name = self._actor(owner_id)
        self.timeline.add(
            (
                uuid7(),
                self.workspace_id,
                when,
                when,
                subject_type,
                subject_id,
                verb,
                actor_id,
                actor_name,
                "[]",
                _json(data),
            )
        )

    def _prerender_notes(self) -> list[tuple[str, str]]:
        """Each note template with its HTML, rendered once with placeholder tokens that
        Markdown leaves alone; a note swaps in its (escaped) values."""
        rendered = []
        for template in NOTE_TEMPLATES:
            tokens = {name: f"QZ{name.upper()}QZ" for name in _NOTE_FIELDS}
            rendered.append((template, render_markdown(template.format(**tokens))))
        return rendered

    def _note_body(self, values: dict[str, str]) -> tuple[str, str]:
        template, html_template = self._choice(self._note_templates)
        body = template.format(**values)
        body_html = html_template
        for name in _NOTE_FIELDS:
            body_html = body_html.replace(
                f"QZ{name.upper()}QZ", html.escape(values[name], quote=False)
            )
        return body, body_html

    def _note_values(self, first: str, company: str) -> dict[str, str]:
        rng = self.rng
        return {
            "first": first,
            "company": company,
            "team": self._choice(TEAMS),
            "month": self._choice(MONTHS),
            "quarter": str(rng.randint(1, 4)),
            "hours": str(rng.randint(3, 20)),
            "seats": str(self._choice((10, 25, 40, 50, 75, 100, 150, 250, 500))),
        }

    # --- records ------------------------------------------------------------------------------

    def build(self, *, contacts: int, companies: int, deals: int) -> None:
        """Generate everything, handing finished rows to the sink as it goes (without a
        sink, the rows stay in :attr:`tables`)."""
        self._build_tags()
        self._emit(self.tags)
        company_list = self._build_companies(companies)
        self._emit(self.company_phones, self.company_tags)
        contact_list = self._build_contacts(contacts, company_list)
        self._emit_progress()
        deal_list = self._build_deals(deals, company_list, contact_list)
        self._emit(self.deal_contacts, self.deal_tags, self.stage_history)
        self._build_engagement(company_list, deal_list)
        self._build_standalone_tasks(max(2, contacts // 400) if contacts else 0)
        self._finish_companies(company_list)
        self._finish_deals(deal_list)
        self._emit(*self.tables)

    def _build_tags(self) -> None:
        self.tag_ids: list[uuid.UUID] = []
        now = self.now
        for name, color in TAGS:
            tag_id = self.existing_tags.get(name.lower())
            if tag_id is None:
                tag_id = uuid7()
                created = now - datetime.timedelta(days=400)
                self.tags.add((tag_id, self.workspace_id, created, created, name, color))
            self.tag_ids.append(tag_id)
        # A power law: the first tags are on many records, the last on a handful.
        self.pick_tag = _Picker(
            self.rng, self.tag_ids, [1 / (rank + 1) ** 1.3 for rank in range(len(self.tag_ids))]
        )

    def _tags_for(self, weights: tuple[float, ...]) -> set[uuid.UUID]:
        count = self._how_many(weights)
        return {self.pick_tag() for _ in range(count)}

    def _unique_domain(self, root: str, noun: str, tlds: Sequence[str]) -> str:
        base = ascii_slug(root + noun)
        candidates = [
            f"{base}.{self._choice(tlds)}",
            f"{ascii_slug(root)}-{ascii_slug(noun)}.{self._choice(tlds)}",
            f"{base}.{self._choice(tlds)}",
            f"get{base}.com",
            f"{base}hq.com",
        ]
        for candidate in candidates:
            if candidate not in self.used_domains:
                self.used_domains.add(candidate)
                return candidate
        n = 2
        while f"{base}{n}.com" in self.used_domains:
            n += 1
        self.used_domains.add(f"{base}{n}.com")
        return f"{base}{n}.com"

    def _build_companies(self, count: int) -> list[_Company]:
        rng = self.rng
        ws = self.workspace_id
        size_bands = ((1, 10), (11, 50), (51, 200), (201, 500), (501, 1000), (1001, 5000))
        pick_band = _Picker(rng, size_bands, (20, 30, 25, 12, 8, 5))
        pick_relationship = _Picker(
            rng, ("prospect", "customer", "partner", "vendor", "both"), (45, 35, 8, 7, 5)
        )
        result: list[_Company] = []
        self.company_weights: list[float] = []
        self.company_cities: list[City] = []
        for created in self._created_times(count, 720):
            city = self.pick_city()
            root = self._choice(COMPANY_ROOTS)
            noun, industry = self._choice(COMPANY_NOUNS)
            name = f"{root} {noun}"
            if rng.random() < 0.3:
                name = f"{name} {self._choice(_LEGAL_SUFFIXES[city.country])}"
            domain = self._unique_domain(root, noun, _TLDS[city.country])
            company_id = uuid7()
            owner_id = self.pick_owner()
            low, high = pick_band()
            size = rng.randint(low, high)
            revenue = Decimal(size * rng.randint(60, 260) * 1000) if rng.random() < 0.8 else None
            self.companies.add(
                [
                    company_id,
                    ws,
                    created,
                    created,
                    name,
                    domain,
                    industry or self._choice(INDUSTRIES),
                    pick_relationship(),
                    "active" if rng.random() < 0.9 else "inactive",
                    owner_id,
                    size,
                    revenue,
                    _json(self._address(city, street=True)),
                    "{}",
                    None,  # last_activity_at, set in _finish_companies
                ]
            )
            self.company_phones.add(
                (uuid7(), ws, created, created, company_id, self._phone(city.office), "work", True)
            )
            for tag_id in self._tags_for((60, 30, 10)):
                self.company_tags.add((company_id, tag_id))
            company = _Company(company_id, name, domain, created, owner_id)
            result.append(company)
            # Bigger companies have more people in the CRM, but not proportionally more.
            self.company_weights.append(size**0.5)
            self.company_cities.append(city)
            self._event(created, "company", company_id, "created", owner_id, {"name": name})
        return result

    def _email_local_parts(self, first: str, last: str) -> list[str]:
        f, la = ascii_slug(first) or "contact", ascii_slug(last) or "person"
        rng = self.rng
        style = rng.random()
        if style < 0.55:
            return [f"{f}.{la}", f"{f}{la}", f"{f[0]}{la}", f"{f}.{la[0]}", f"{f}_{la}"]
        if style < 0.75:
            return [f"{f[0]}{la}", f"{f}.{la}", f"{f}{la[0]}"]
        if style < 0.9:
            return [f, f"{f}.{la}", f"{f}{la[0]}"]
        return [f"{f}{la}", f"{f}.{la}", f"{la}.{f}"]

    def _unique_email(self, first: str, last: str, domain: str) -> str:
        locals_ = self._email_local_parts(first, last)
        for local in locals_:
            email = f"{local}@{domain}"
            if email not in self.used_emails:
                self.used_emails.add(email)
                return email
        base = locals_[0]
        n = self.rng.randint(2, 99)
        while f"{base}{n}@{domain}" in self.used_emails:
            n += 1
        email = f"{base}{n}@{domain}"
        self.used_emails.add(email)
        return email

    def _build_contacts(self, count: int, companies: list[_Company]) -> list[_Contact]:
        rng = self.rng
        random = rng.random
        ws = self.workspace_id
        pick_company = (
            _Picker(rng, range(len(companies)), self.company_weights) if companies else None
        )
        pick_status = _Picker(
            rng, ("lead", "active", "customer", "inactive", "churned"), (35, 30, 20, 10, 5)
        )
        pick_source = _Picker(
            rng,
            ("website", "referral", "social", "paid_ads", "manual", "api", "import"),
            (30, 15, 10, 10, 20, 5, 10),
        )
        personal_domains = ("example.com", "example.net", "example.org")
        now = self.now
        result: list[_Contact] = []
        for created in self._created_times(count, 540):
            first = self._choice(FIRST_NAMES)
            last = self._choice(LAST_NAMES)
            contact_id = uuid7()
            company = None
            if pick_company is not None and random() < 0.87:
                index = pick_company()
                company = companies[index]
                city = self.company_cities[index] if random() < 0.7 else self.pick_city()
                email = self._unique_email(first, last, company.domain)
                title = self.pick_title()
                owner_id = company.owner_id if random() < 0.7 else self.pick_owner()
            else:
                city = self.pick_city()
                email = self._unique_email(first, last, self._choice(personal_domains))
                title = self._choice(FREELANCE_TITLES)
                owner_id = self.pick_owner()
            name = f"{first} {last}"
            social = []
            if random() < 0.4:
                slug = f"{ascii_slug(first)}-{ascii_slug(last)}-{rng.randrange(16**4):04x}"
                social.append(
                    {"platform": "linkedin", "url": f"https://www.linkedin.com/in/{slug}"}
                )
            status, source = pick_status(), pick_source()
            address = _json(self._address(city, street=False))
            label = "work" if company else "personal"
            self.contact_emails.add((uuid7(), ws, created, created, contact_id, email, label, True))
            if random() < 0.08:
                extra = self._unique_email(first, last, "example.net")
                self.contact_emails.add(
                    (uuid7(), ws, created, created, contact_id, extra, "personal", False)
                )
            if random() < 0.85:
                spec = _MOBILE.get(city.country, city.office)
                self.contact_phones.add(
                    (uuid7(), ws, created, created, contact_id, self._phone(spec), "mobile", True)
                )
                if random() < 0.15:
                    self.contact_phones.add(
                        (
                            uuid7(),
                            ws,
                            created,
                            created,
                            contact_id,
                            self._phone(city.office),
                            "work",
                            False,
                        )
                    )
            for tag_id in self._tags_for((45, 30, 17, 8)):
                self.contact_tags.add((contact_id, tag_id))
            contact = _Contact(contact_id, first, name, created, owner_id)
            result.append(contact)
            self._event(created, "contact", contact_id, "created", owner_id, {"name": name})
            if company is not None:
                company.employees.append(contact)
                self._link(contact, company, title, created, primary=True)
                if random() < 0.06 and len(companies) > 1:
                    former = companies[pick_company()]
                    if former is not company:
                        self._link(contact, former, title, created, primary=False)
            # What happened with the person since: notes, calls, emails, meetings, a task.
            company_name = company.name if company else "their company"
            notes = self._how_many((78, 18, 4))
            for _ in range(notes):
                self._add_note("contact", contact, first, company_name, now)
            activities = self._how_many((62, 22, 10, 4, 2))
            for _ in range(activities):
                self._add_activity("contact", contact, first, (contact,), now)
            if random() < 0.12:
                values = {"first": first, "company": company_name}
                self._add_task("contact", contact, values, owner_id)
            self.contacts.add(
                (
                    contact_id,
                    ws,
                    created,
                    created,
                    first,
                    last,
                    email,
                    title,
                    company.id if company else None,
                    status,
                    source,
                    owner_id,
                    address,
                    _json(social),
                    "{}",
                    min(100, activities * 14 + notes * 6 + rng.randint(0, 12)),
                    contact.last_activity,
                )
            )
            if len(result) % 5000 == 0:
                self._emit_progress()
        return result

    def _link(
        self,
        contact: _Contact,
        company: _Company,
        role: str,
        when: datetime.datetime,
        *,
        primary: bool,
    ) -> None:
        rng = self.rng
        today = self.now.date()
        if primary:
            started = today - datetime.timedelta(days=rng.randint(30, 3000))
            ended = None
        else:
            ended = today - datetime.timedelta(days=rng.randint(200, 1500))
            started = ended - datetime.timedelta(days=rng.randint(200, 2500))
        membership_id = uuid7()
        self.memberships.add(
            (
                membership_id,
                self.workspace_id,
                when,
                when,
                contact.id,
                company.id,
                role,
                primary,
                started,
                ended,
            )
        )
        # No company_linked / contact_linked events: at 100,000 contacts they would be a
        # third of the timeline and of the load time, and say little that the page doesn't.

    def _deal_path(self, pipeline: _PipelineInfo) -> list[_StageInfo]:
        """The stages a deal went through, ending in the one it is in now."""
        rng = self.rng
        opened = pipeline.open_stages
        kinds = []
        weights = []
        if opened:
            kinds.append(StageKind.OPEN)
            weights.append(62)
        if pipeline.won_stages:
            kinds.append(StageKind.WON)
            weights.append(22)
        if pipeline.lost_stages:
            kinds.append(StageKind.LOST)
            weights.append(16)
        kind = rng.choices(kinds, weights=weights)[0]
        if kind == StageKind.OPEN:
            # A funnel: more deals in the early stages.
            index = rng.choices(
                range(len(opened)), weights=[1 / (1 + 0.45 * i) for i in range(len(opened))]
            )[0]
            return opened[: index + 1]
        final = self._choice(pipeline.won_stages if kind == StageKind.WON else pipeline.lost_stages)
        if not opened:
            return [final]
        if kind == StageKind.WON:
            reached = rng.randint(max(0, len(opened) - 2), len(opened) - 1)
        else:
            reached = rng.randint(0, len(opened) - 1)
        return [*opened[: reached + 1], final]

    def _build_deals(
        self, count: int, companies: list[_Company], contacts: list[_Contact]
    ) -> list[_Deal]:
        if count and not self.pipelines:
            raise ValueError("The workspace has no pipeline with stages to put deals in.")
        rng = self.rng
        random = rng.random
        ws = self.workspace_id
        now = self.now
        today = now.date()
        pick_pipeline = _Picker(
            rng, self.pipelines, [4 if p.is_default else 1 for p in self.pipelines]
        )
        staffed = [c for c in companies if c.employees]
        pick_staffed = (
            _Picker(rng, staffed, [len(c.employees) ** 0.7 for c in staffed]) if staffed else None
        )
        other_currencies = [c for c in ("EUR", "GBP", "USD") if c != self.currency]
        result: list[_Deal] = []
        rows_by_stage: dict[uuid.UUID, list[list[Any]]] = defaultdict(list)
        for created in self._created_times(count, 420):
            pipeline = pick_pipeline()
            deal = _Deal()
            deal.id = uuid7()
            company = None
            if pick_staffed is not None and random() < 0.93:
                company = pick_staffed()
                created = max(created, company.created_at)
            deal.company = company
            deal.created_at = created
            owner_id = (
                company.owner_id if company is not None and random() < 0.75 else self.pick_owner()
            )
            deal.owner_id = owner_id
            products = PARTNER_PRODUCTS if "partner" in pipeline.name.lower() else DEAL_PRODUCTS
            product = self._choice(products)
            if company is not None:
                title = f"{company.name} \N{EN DASH} {product}"
                people = rng.sample(
                    company.employees, min(len(company.employees), rng.randint(1, 3))
                )
            elif contacts:
                person = self._choice(contacts)
                title = f"{person.name} \N{EN DASH} {product}"
                people = [person]
            else:
                title = product
                people = []
            deal.contacts = people

            path = self._deal_path(pipeline)
            times = [created]
            for _ in path[1:]:
                previous = times[-1]
                times.append(previous + (now - previous) * rng.uniform(0.08, 0.5))
            final = path[-1]
            entered = times[-1]
            closed_at = entered if final.kind != StageKind.OPEN else None
            deal.end = closed_at or now
            deal.is_open = closed_at is None
            if closed_at is not None:
                close_date = closed_at.astimezone(self.tz).date()
            else:
                close_date = today + datetime.timedelta(days=rng.randint(-25, 120))
            amount = Decimal(max(500, round(rng.lognormvariate(9.4, 1.0), -2))).quantize(
                Decimal("0.01")
            )
            lost_reason = ""
            if final.kind == StageKind.LOST:
                lost_reason = self._choice(pipeline.lost_reasons or [DEFAULT_LOST_REASON])
            row = [
                deal.id,
                ws,
                created,
                entered,
                title[:200],
                pipeline.id,
                final.id,
                final.kind,
                0,  # position, set per stage below
                amount if random() < 0.95 else None,
                self.currency if random() < 0.85 else self._choice(other_currencies),
                final.probability,
                close_date if random() < 0.9 else None,
                closed_at,
                owner_id,
                company.id if company else None,
                lost_reason,
                "{}",
                entered,
                None,  # last_activity_at
            ]
            rows_by_stage[final.id].append(row)
            for contact in people:
                self.deal_contacts.add(
                    (
                        uuid7(),
                        ws,
                        created,
                        created,
                        deal.id,
                        contact.id,
                        self._choice(DEAL_CONTACT_ROLES),
                    )
                )
            for tag_id in self._tags_for((80, 17, 3)):
                self.deal_tags.add((deal.id, tag_id))

            actor_id, _ = self._actor(owner_id)
            self._event(
                created,
                "deal",
                deal.id,
                "created",
                owner_id,
                {"title": title[:200], "stage": path[0].name},
            )
            for index, stage in enumerate(path):
                left = times[index + 1] if index + 1 < len(path) else None
                from_stage = path[index - 1] if index else None
                self.stage_history.add(
                    (
                        uuid7(),
                        ws,
                        times[index],
                        times[index],
                        deal.id,
                        stage.id,
                        stage.name,
                        from_stage.id if from_stage else None,
                        times[index],
                        left,
                        actor_id,
                    )
                )
                if from_stage is not None:
                    data = {
                        "from_stage": from_stage.name,
                        "from_stage_id": str(from_stage.id),
                        "to_stage": stage.name,
                        "to_stage_id": str(stage.id),
                    }
                    if stage.kind == StageKind.LOST:
                        data["lost_reason"] = lost_reason
                    self._event(times[index], "deal", deal.id, "stage_changed", owner_id, data)
            result.append(deal)
        # Positions 0..n-1 within each stage (after what the stage holds already), in the
        # order the deals entered it.
        self._deal_rows: list[list[Any]] = []
        for stage_id, rows in rows_by_stage.items():
            start = self.last_positions.get(stage_id, -1) + 1
            rows.sort(key=lambda row: row[18])
            for offset, row in enumerate(rows):
                row[8] = start + offset
            self._deal_rows.extend(rows)
        return result

    def _touch(self, record: Any, when: datetime.datetime) -> None:
        if record.last_activity is None or record.last_activity < when:
            record.last_activity = when

    def _add_note(
        self, subject_type: str, record: Any, first: str, company: str, end: datetime.datetime
    ) -> None:
        when = self._between(record.created_at, end)
        body, body_html = self._note_body(self._note_values(first, company))
        note_id = uuid7()
        author = self._actor(record.owner_id)[0]
        self.notes.add(
            (
                note_id,
                self.workspace_id,
                when,
                when,
                subject_type,
                record.id,
                body,
                body_html,
                author,
                self.rng.random() < 0.05,
            )
        )
        self._event(
            when,
            subject_type,
            record.id,
            "note_added",
            record.owner_id,
            {"note_id": str(note_id), "excerpt": excerpt(body)},
        )
        self._touch(record, when)

    def _add_activity(
        self,
        subject_type: str,
        record: Any,
        first: str,
        participants: Sequence[_Contact],
        end: datetime.datetime,
    ) -> None:
        rng = self.rng
        kind = self.pick_activity()
        spec = ACTIVITY_KINDS[kind]
        when = self._between(record.created_at, end)
        subject = self._choice(spec["subjects"])
        body = self._choice(spec["bodies"]).format(first=first, team=self._choice(TEAMS))
        direction = ""
        if kind != "meeting":
            direction = "outbound" if rng.random() < 0.7 else "inbound"
        activity_id = uuid7()
        author = self._actor(record.owner_id)[0]
        self.activities.add(
            (
                activity_id,
                self.workspace_id,
                when,
                when,
                kind,
                subject_type,
                record.id,
                subject,
                body,
                when,
                self._choice(spec["durations"]),
                direction,
                self._choice(spec["outcomes"]),
                author,
            )
        )
        for person in participants:
            self.participants.add((activity_id, person.id))
        self._event(
            when,
            subject_type,
            record.id,
            "activity_logged",
            record.owner_id,
            {
                "activity_id": str(activity_id),
                "type": kind,
                "subject": subject,
                "excerpt": excerpt(body),
            },
        )
        self._touch(record, when)

    def _add_task(
        self, subject_type: str, record: Any | None, values: dict[str, str], owner_id: Any
    ) -> None:
        """A task: about a third done, some overdue, some due today, the rest ahead."""
        rng = self.rng
        now = self.now
        start = record.created_at if record is not None else now - datetime.timedelta(days=30)
        created = self._between(start, now)
        title = self._choice(TASK_TITLES[subject_type]).format(**values)[:255]
        state = rng.random()
        completed_at = None
        due: datetime.datetime | None
        if state < 0.3:  # done
            completed_at = self._between(created, now)
            due = completed_at + datetime.timedelta(hours=rng.randint(-48, 72))
        elif state < 0.5:  # overdue
            due = self._between(max(created, now - datetime.timedelta(days=14)), now)
            due = min(due, now - datetime.timedelta(hours=2))
            created = min(created, due)
        elif state < 0.65:  # due today, in the workspace's time zone
            today = now.astimezone(self.tz).date()
            due = datetime.datetime.combine(
                today, datetime.time(rng.randint(9, 17), self._choice((0, 30))), self.tz
            )
            created = min(created, due)
        elif state < 0.95:
            due = now + datetime.timedelta(hours=rng.randint(24, 24 * 30))
        else:
            due = None
        task_id = uuid7()
        actor_id = self._actor(owner_id)[0]
        self.tasks.add(
            (
                task_id,
                self.workspace_id,
                created,
                completed_at or created,
                title,
                "",
                due,
                self._choice(("low", "medium", "medium", "high", "urgent")),
                owner_id,
                actor_id,
                completed_at,
                subject_type,
                record.id if record is not None else None,
            )
        )
        if record is None:
            return
        data = {"task_id": str(task_id), "title": title, "due_at": due.isoformat() if due else None}
        self._event(created, subject_type, record.id, "task_added", owner_id, data)
        if completed_at is not None:
            data = {"task_id": str(task_id), "title": title}
            self._event(completed_at, subject_type, record.id, "task_completed", owner_id, data)
            self._touch(record, completed_at)

    def _how_many(self, weights: tuple[float, ...]) -> int:
        """0, 1, 2… with these weights."""
        picker = self._count_pickers.get(weights)
        if picker is None:
            picker = self._count_pickers[weights] = _Picker(self.rng, range(len(weights)), weights)
        return picker()

    def _build_engagement(self, companies: list[_Company], deals: list[_Deal]) -> None:
        """Notes, activities and tasks on companies and deals, with their timeline events
        (a contact's come with the contact)."""
        now = self.now
        rng = self.rng
        for index, company in enumerate(companies):
            first = company.employees[0].first if company.employees else "the team"
            for _ in range(self._how_many((50, 30, 15, 5))):
                self._add_note("company", company, first, company.name, now)
            for _ in range(self._how_many((60, 25, 15))):
                people = company.employees[:1]
                self._add_activity("company", company, first, people, now)
            if rng.random() < 0.15:
                self._add_task("company", company, {"company": company.name}, company.owner_id)
            if index % 2000 == 0:
                self._emit_progress()
        for index, deal in enumerate(deals):
            company_name = deal.company.name if deal.company else "the client"
            first = deal.contacts[0].first if deal.contacts else "the buyer"
            for _ in range(self._how_many((20, 45, 25, 10))):
                self._add_note("deal", deal, first, company_name, deal.end)
            for _ in range(self._how_many((15, 30, 30, 15, 10))):
                people = deal.contacts[: rng.randint(1, 2)]
                self._add_activity("deal", deal, first, people, deal.end)
            if rng.random() < (0.7 if deal.is_open else 0.2):
                values = {"first": first, "company": company_name, "deal": company_name}
                for _ in range(rng.randint(1, 2)):
                    self._add_task("deal", deal, values, deal.owner_id)
            if index % 2000 == 0:
                self._emit_progress()

    def _build_standalone_tasks(self, count: int) -> None:
        owners = [o.id for o in self.owners] or [None]
        for _ in range(count):
            self._add_task("", None, {}, self._choice(owners))

    def _finish_companies(self, companies: list[_Company]) -> None:
        for row, company in zip(self.companies.rows, companies, strict=True):
            row[14] = company.last_activity
        self.companies.rows[:] = [tuple(row) for row in self.companies.rows]

    def _finish_deals(self, deals: list[_Deal]) -> None:
        last_activity = {deal.id: deal.last_activity for deal in deals}
        for row in self._deal_rows:
            row[19] = last_activity[row[0]]
        self.deals.rows[:] = [tuple(row) for row in self._deal_rows]


# --- Reading the workspace ----------------------------------------------------------------------


def _owners(workspace: Workspace) -> list[Owner]:
    """The members who may own records (not viewers), the higher roles owning more."""
    memberships = sorted(
        Membership.objects.filter(workspace=workspace)
        .exclude(role=Role.VIEWER)
        .select_related("user"),
        key=lambda m: (-ROLE_RANK[Role(m.role)], m.created_at),
    )
    shares = {email.lower(): share for email, share in _demo_shares().items()}
    owners = []
    for rank, membership in enumerate(memberships):
        user = membership.user
        weight = shares.get(user.email.lower(), 1 / (rank + 1) ** 1.5)
        owners.append(Owner(user.pk, user.name or user.email, weight))
    return owners


def _demo_shares() -> dict[str, float]:
    domain = settings.DEMO_USER_EMAIL.rpartition("@")[2]
    shares = {settings.DEMO_USER_EMAIL: DEMO_OWNER_SHARE}
    for _, local, _, share in DEMO_TEAM:
        shares[f"{local}@{domain}"] = share
    return shares


def _pipelines(workspace: Workspace) -> list[_PipelineInfo]:
    result = []
    for pipeline in Pipeline.objects.for_workspace(workspace).prefetch_related(
        "stages", "lost_reasons"
    ):
        stages = sorted(pipeline.stages.all(), key=lambda s: s.position)
        if not stages:
            continue
        infos = [_StageInfo(s.pk, s.name, s.kind, s.probability) for s in stages]
        result.append(
            _PipelineInfo(
                id=pipeline.pk,
                name=pipeline.name,
                is_default=pipeline.is_default,
                open_stages=[s for s in infos if s.kind == StageKind.OPEN],
                won_stages=[s for s in infos if s.kind == StageKind.WON],
                lost_stages=[s for s in infos if s.kind == StageKind.LOST],
                lost_reasons=[
                    r.name for r in sorted(pipeline.lost_reasons.all(), key=lambda r: r.position)
                ],
            )
        )
    return result


def demo_seed(
    *,
    workspace: Workspace,
    contacts: int,
    companies: int,
    deals: int,
    seed: int = DEFAULT_SEED,
) -> dict[str, int]:
    """Add a realistic dataset to ``workspace``: ``contacts`` people, ``companies``
    companies and ``deals`` deals, with everything around them. Call it in a transaction.

    Returns the number of rows written per table.
    """
    if min(contacts, companies, deals) < 0:
        raise ValueError("Counts cannot be negative.")
    if not Pipeline.objects.for_workspace(workspace).exists():
        pipeline_create_default(workspace)
    pipelines = _pipelines(workspace)
    # Every writer of deal positions holds its stage's lock (see deal_move).
    stage_ids = [s.id for p in pipelines for s in (*p.open_stages, *p.won_stages, *p.lost_stages)]
    list(Stage.objects.select_for_update().filter(pk__in=stage_ids).order_by("pk"))
    last_positions = dict(
        Deal.objects.filter(stage_id__in=stage_ids)
        .values("stage_id")
        .annotate(last=Max("position"))
        .values_list("stage_id", "last")
    )
    contacts_qs = Contact.objects.for_workspace(workspace)
    existing_emails: set[str] = set()
    existing_domains: set[str] = set()
    if contacts_qs.exists():
        existing_emails.update(
            contacts_qs.exclude(email="").annotate(e=Lower("email")).values_list("e", flat=True)
        )
        existing_emails.update(
            ContactEmail.objects.for_workspace(workspace)
            .annotate(e=Lower("value"))
            .values_list("e", flat=True)
        )
    existing_domains.update(
        Company.objects.for_workspace(workspace)
        .exclude(domain="")
        .annotate(d=Lower("domain"))
        .values_list("d", flat=True)
    )
    existing_tags = {
        name.lower(): pk
        for pk, name in Tag.objects.for_workspace(workspace).values_list("pk", "name")
    }
    builder = DemoBuilder(
        workspace=workspace,
        owners=_owners(workspace),
        pipelines=pipelines,
        seed=seed,
        now=timezone.now(),
        existing_emails=existing_emails,
        existing_domains=existing_domains,
        existing_tags=existing_tags,
        last_positions=last_positions,
    )
    # Foreign keys stay deferred (Django's default) and are checked at the commit: rows
    # may reach the database in any order.
    loader = _Loader()
    builder.sink = loader
    try:
        builder.build(contacts=contacts, companies=companies, deals=deals)
    except BaseException:
        loader.abort()
        raise
    counts = loader.close()
    # Fresh statistics for every table that grew a lot, so that the first requests after a
    # large seed get good plans: with stale counts PostgreSQL hash-joins a 100-id prefetch of
    # emails or phones over the whole table instead of using the contact_id index.
    with connection.cursor() as cursor:
        for table in builder.tables:
            if counts.get(table.name, 0) > 5000:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table.model._meta.db_table)}")
    return {table.name: counts.get(table.name, 0) for table in builder.tables}


# --- The demo workspace -------------------------------------------------------------------------


@dataclass
class DemoSetup:
    workspace: Workspace
    user: User
    user_created: bool
    workspace_created: bool
    team: list[tuple[User, str, bool]]  # (user, role, created now)


def _get_or_create_user(email: str, name: str, password: str) -> tuple[User, bool]:
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    return user_create(email=email, password=password, name=name), True


def demo_workspace_get_or_create() -> DemoSetup:
    """The demo workspace (``settings.DEMO_WORKSPACE_SLUG``) and its team, created if missing.

    The demo user (``settings.DEMO_USER_EMAIL`` / ``DEMO_USER_PASSWORD``) owns it and is
    staff and superuser, so the demo login also opens the admin site. Its team (an admin,
    two members and a viewer) shares the demo password. An existing user's password is left
    alone.
    """
    user, user_created = _get_or_create_user(
        settings.DEMO_USER_EMAIL, "Demo User", settings.DEMO_USER_PASSWORD
    )
    if not (user.is_staff and user.is_superuser):
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    workspace = Workspace.objects.filter(slug=settings.DEMO_WORKSPACE_SLUG).first()
    workspace_created = workspace is None
    if workspace is None:
        workspace = workspace_create(name="Demo", owner=user, slug=settings.DEMO_WORKSPACE_SLUG)
        pipeline_create(workspace=workspace, **DEMO_EXTRA_PIPELINE)
    else:
        Membership.objects.get_or_create(
            workspace=workspace, user=user, defaults={"role": Role.OWNER}
        )
    domain = settings.DEMO_USER_EMAIL.rpartition("@")[2]
    team = []
    for name, local, role, _ in DEMO_TEAM:
        member, created = _get_or_create_user(
            f"{local}@{domain}", name, settings.DEMO_USER_PASSWORD
        )
        membership, _ = Membership.objects.get_or_create(
            workspace=workspace, user=member, defaults={"role": role}
        )
        team.append((member, membership.role, created))
    return DemoSetup(workspace, user, user_created, workspace_created, team)


def demo_plant_duplicates(*, workspace: Any, user: Any, count: int = 3) -> int:
    """A few likely duplicates of seeded people (a typo in the name at the same company, the
    same phone, the same email as a second address), so that the duplicates review queue of a
    new demo shows what it does. Returns how many were added."""
    from accounts.services.common import Actor
    from crm.models import Contact
    from crm.services.contacts import contact_create

    actor = Actor(user=user, role="owner")
    people = list(
        Contact.objects.for_workspace(workspace)
        .filter(company__isnull=False)
        .exclude(email="")
        .prefetch_related("phones")
        .order_by("created_at")[:count]
    )
    for person in people:
        phone = next((p.value for p in person.phones.all()), None)
        first = person.first_name
        typo = first[:-2] + first[-1] + first[-2] if len(first) > 3 else first + "e"
        contact_create(
            workspace=workspace,
            actor=actor,
            first_name=typo,
            last_name=person.last_name,
            email="",
            emails=[{"value": person.email.replace("@", ".work@", 1)}, {"value": person.email}]
            if not phone
            else None,
            phones=[phone] if phone else None,
            job_title=person.job_title,
            company=person.company,
            source="import",
        )
    return len(people)
