"""The words the benchmark's data generator draws from: programmes, id parts, titles, tags."""

# (programme, weight, id pattern); the fields are drawn in ``_make_id``.
PROGRAMMES = (
    ("Horizon Europe Cluster 4", 14, "HORIZON-CL4-{year}-{mm}-{topic}-{nn}"),
    ("Horizon Europe Cluster 5", 8, "HORIZON-CL5-{year}-D{a}-{mm}-{nn}"),
    ("Horizon Europe Cluster 6", 5, "HORIZON-CL6-{year}-{topic}-{mm}-{nn}"),
    ("Horizon Europe Cluster 1", 3, "HORIZON-HLTH-{year}-{topic}-{mm}-{nn}"),
    ("Horizon Europe Cluster 2", 2, "HORIZON-CL2-{year}-{topic}-{mm}"),
    ("Horizon Europe Cluster 3", 2, "HORIZON-CL3-{year}-{topic}-{mm}"),
    ("Horizon Europe EIC", 5, "HORIZON-EIC-{year}-{eic}-{mm}"),
    ("Horizon Europe Widening", 3, "HORIZON-WIDERA-{year}-ACCESS-{mm}-{nn}"),
    ("Horizon Europe Missions", 3, "HORIZON-MISS-{year}-{mission}-{mm}-{nn}"),
    ("Euratom", 1, "HORIZON-EURATOM-{year}-NRT-{mm}-{nn}"),
    ("COSME", 3, "COS-{cos}-{year}-{a}-{nn}"),
    ("Single Market Programme", 6, "SMP-COSME-{year}-{cos}-{nn}"),
    ("Digital Europe", 9, "DIGITAL-{year}-{digital}-{mm}-{topic}"),
    ("Interreg Europe", 3, "INTERREG-EUROPE-{year}-C{a}-{nnn}"),
    ("Interreg North-West Europe", 2, "NWE-{year}-{nnn}"),
    ("Interreg Central Europe", 2, "CE-{year}-{nnn}"),
    ("Interreg Alpine Space", 1, "ASP-{year}-{nnn}"),
    ("Interreg Baltic Sea Region", 1, "BSR-{year}-{nnn}"),
    ("Interreg Euro-MED", 1, "EUROMED-{year}-{nnn}"),
    ("Interreg Danube Region", 1, "DRP-{year}-{nnn}"),
    ("LIFE", 4, "LIFE-{year}-SAP-{life}-{nn}"),
    ("EU4Health", 3, "EU4H-{year}-PJ-{nn}"),
    ("Erasmus+", 3, "ERASMUS-EDU-{year}-PEX-{eras}-{nn}"),
    ("Creative Europe", 2, "CREA-CROSS-{year}-{crea}-{nn}"),
    ("Connecting Europe Facility", 2, "CEF-{cef}-{year}-{nn}"),
    ("Innovation Fund", 2, "INNOVFUND-{year}-{innov}-{nn}"),
    ("European Defence Fund", 1, "EDF-{year}-{topic}-{nn}"),
    ("Interregional Innovation Investments", 2, "I3-{year}-INV{a}-{nn}"),
)


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    """A vocabulary written as one string, split on ``sep`` (keeps the lists below short)."""
    return tuple(word.strip() for word in text.split(sep))


FIELDS = {
    "topic": _words(
        "DIGITAL-EMERGING HUMAN SPACE RESILIENCE TWIN-TRANSITION MATERIALS DATA INFRA CLIMATE "
        "ENERGY HEALTH FOOD MOBILITY CULTURE SECURITY STAYHLTH"
    ),
    "eic": _words("ACCELERATOR PATHFINDEROPEN PATHFINDERCHALLENGES TRANSITION"),
    "mission": _words("CLIMA OCEAN SOIL CIT CANCER"),
    "cos": _words("CLUSTPARTNS CLUSTINTER CLUSTEXCEL SMEINNOV TOURISM ESCP-S3 EUROCLUSTERS"),
    "digital": _words("CLOUD-AI SKILLS CYBER EDIH DEPLOY HPC"),
    "life": _words("NAT ENV CLIMA CET"),
    "eras": _words("CoVE TEACH"),
    "crea": _words("INNOVLAB NEWS"),
    "cef": _words("T DIG E"),
    "innov": _words("LSC SSC PILOTS"),
}
ZONES = (
    *(["Europe/Brussels"] * 80),
    *(["UTC"] * 10),
    *_words(
        "Europe/Lisbon Europe/Helsinki Europe/Dublin Europe/Athens America/New_York Asia/Tokyo "
        "Africa/Nairobi Etc/GMT+12 Europe/Madrid Atlantic/Canary"
    ),
)
TAGS = _words(
    "watch ours sme priority digital green partner-search lead skills partner "
    "internationalisation ai circular energy health mobility tourism manufacturing s3 "
    "interregional cascade-funding coordinator-needed budget-ok board-approved draft agrifood "
    "space textiles submitted no-go"
)
#: Tag popularity falls with its rank (Zipf-like): "watch" on many calls, "no-go" on few.
TAG_WEIGHTS = [1 / (rank + 1) for rank in range(len(TAGS))]
KINDS = _words(
    "Coordination and support action, Research and innovation action, Innovation action, "
    "Call for expression of interest, Pilot project, Support for cluster organisations, "
    "Preparatory action, Open call for third parties, Framework partnership agreement",
    ",",
)
SUBJECTS = _words(
    "cluster partnerships, industrial ecosystems, green transition of SMEs, digital innovation "
    "hubs, smart specialisation investments, advanced materials, artificial intelligence in "
    "manufacturing, resilient supply chains, circular economy, tourism ecosystems, cross-border "
    "value chains, quantum technologies, hydrogen valleys, cultural and creative industries, "
    "agri-food innovation, space downstream applications, battery value chains, low-carbon "
    "construction, medical devices and digital health, the blue economy, textile ecosystem "
    "transformation, semiconductor design, data spaces for manufacturing, sustainable logistics",
    ",",
)
PURPOSES = _words(
    "for SME internationalisation, for the twin transition, for interregional investment, "
    "to scale up deep-tech start-ups, for skills and upskilling, in less-developed regions, "
    "beyond Europe, for market uptake, across borders, for regional innovation ecosystems, "
    "towards climate neutrality by 2050, with a focus on women-led SMEs",
    ",",
)
REGIONS = _words(
    "the Baltic Sea region, Central Europe, the Alpine space, the Mediterranean, the Danube "
    "region, North-West Europe, the outermost regions, the Western Balkans",
    ",",
)
ACRONYMS = _words("Euroclusters EDIH I3 ECCP EEN S3 TWIN-GO CLUSTERS-2030")
STAGE_LABELS = (
    ("Stage 1", "Stage 2"),
    ("Pre-proposal", "Full proposal"),
    ("Expression of interest", "Full application"),
    ("Short proposal", "Full proposal"),
)
LEADS = _words("Anna Jan Marta Luc Sofia Pieter Ines Tomasz Elena Mikko")
PARTNERS = _words("Flanders Make, BioValley, Clust-ER, Silicon Saxony, Tech Tallinn, MedTech", ",")
NOTES = (
    "lead: {lead}",
    "lead: {lead}; partners: {p1}, {p2}",
    "Budget about EUR {m} M, {k} projects expected. Check the eligibility of non-EU partners.",
    "lead: {lead}\ninternal deadline two weeks earlier\nconsortium call with {p1} on Tuesdays",
    "Ask the NCP before submitting. {p1} wants to coordinate; we would lead the work package on "
    "dissemination and take part in the pilots with {p2}.",
)
REASONS = ("extended by DG GROW", "portal update", "technical problems on the portal", "")
PORTAL = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities"
