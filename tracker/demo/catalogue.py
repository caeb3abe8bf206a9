"""The word lists behind the demo data: skills, profiles, clients, places, names and remarks."""

from datetime import time
from typing import TypedDict


def _items(text: str) -> list[str]:
    """A list written as one comma-separated string, so long lists stay a few lines."""
    return [item.strip() for item in text.split(",")]


# The AI-field skills the agency places people for, by category.
SKILL_CATEGORIES = {
    "Languages": _items("Python, SQL, TypeScript, Go, Scala"),
    "Machine learning": _items(
        "PyTorch, TensorFlow, JAX, scikit-learn, XGBoost, Computer vision, NLP, "
        "Recommender systems, Time-series forecasting"
    ),
    "LLM": _items(
        "LLM APIs (OpenAI/Anthropic), LangChain, RAG, Vector databases (pgvector/Pinecone), "
        "Prompt engineering, Fine-tuning, LLM evaluation, Hugging Face Transformers"
    ),
    "MLOps": _items("MLOps, Kubeflow, MLflow, Model serving"),
    "Data": _items("Airflow, Spark, dbt, Data pipelines, PostgreSQL, Kafka, Snowflake"),
    "Backend": _items("FastAPI, Django"),
    "Frontend": _items("React"),
    "Infrastructure": _items("Docker, Kubernetes, Terraform"),
    "Cloud": _items("AWS, Azure, GCP"),
}
SKILLS = [(name, category) for category, names in SKILL_CATEGORIES.items() for name in names]


class Profile(TypedDict):
    role: str
    core: list[str]
    extra: list[str]
    projects: list[str]


# Coherent engineer and request profiles: the role, the skills everyone in it has, skills some
# have, and the kind of project a client asks for.
PROFILES: dict[str, Profile] = {
    "ml": {
        "role": "ML engineer",
        "core": _items("Python, PyTorch, scikit-learn"),
        "extra": _items(
            "TensorFlow, JAX, XGBoost, Computer vision, NLP, Recommender systems, "
            "Time-series forecasting, MLflow, Docker, AWS, SQL"
        ),
        "projects": _items(
            "fraud scoring, demand forecasting, churn prediction, dynamic pricing, "
            "personalised recommendations"
        ),
    },
    "data": {
        "role": "Data engineer",
        "core": _items("Python, SQL, Data pipelines"),
        "extra": _items(
            "Airflow, Spark, dbt, PostgreSQL, Kafka, Snowflake, AWS, GCP, Terraform, Scala"
        ),
        "projects": _items(
            "lakehouse migration, real-time event pipeline, feature store, analytics platform, "
            "data quality monitoring"
        ),
    },
    "llm": {
        "role": "LLM/RAG engineer",
        "core": _items("Python, LLM APIs (OpenAI/Anthropic), RAG"),
        "extra": _items(
            "LangChain, Vector databases (pgvector/Pinecone), Prompt engineering, Fine-tuning, "
            "LLM evaluation, Hugging Face Transformers, FastAPI, PostgreSQL, NLP"
        ),
        "projects": _items(
            "support copilot, contract search assistant, document Q&A, "
            "sales-call summarisation, internal knowledge assistant"
        ),
    },
    "mlops": {
        "role": "MLOps engineer",
        "core": _items("Python, MLOps, Docker, Kubernetes"),
        "extra": _items("Kubeflow, MLflow, Model serving, Terraform, AWS, GCP, Azure, Airflow, Go"),
        "projects": _items(
            "model serving platform, training pipelines on Kubernetes, GPU cost reduction, "
            "model monitoring, CI/CD for models"
        ),
    },
    "product": {
        "role": "AI product engineer",
        "core": _items("Python, TypeScript, LLM APIs (OpenAI/Anthropic)"),
        "extra": _items(
            "React, FastAPI, Django, PostgreSQL, Prompt engineering, RAG, Docker, AWS, Azure"
        ),
        "projects": _items(
            "AI features in the customer portal, agentic back-office tools, "
            "chat onboarding flow, AI-assisted reporting"
        ),
    },
    "vision": {
        "role": "Computer vision engineer",
        "core": _items("Python, PyTorch, Computer vision"),
        "extra": _items("TensorFlow, Model serving, Docker, GCP, Fine-tuning, Kubernetes"),
        "projects": _items(
            "defect detection, document OCR, shelf monitoring, medical image triage"
        ),
    },
}
PROFILE_WEIGHTS = {"ml": 25, "data": 22, "llm": 25, "mlops": 12, "product": 10, "vision": 6}

# name, industry, country, zone, local working hours, notes (invented clients have none).
ClientSpec = tuple[str, str, str, str, time, time, str | None]
CLIENTS: list[ClientSpec] = [
    ("Northwind Analytics", "Fintech", "US", "America/New_York", time(9), time(17),
     "Series C; fraud and risk teams. Prefers engineers with finance experience."),
    ("Lakeshore Health AI", "Healthcare", "US", "America/Chicago", time(8), time(16, 30),
     "HIPAA training required before start. Stand-ups at 08:30 Central."),
    ("Summit Robotics", "Robotics", "US", "America/Denver", time(8), time(17),
     "Hardware-adjacent ML; values simulation and edge-deployment experience."),
    ("Pacific Ledger", "Fintech", "US", "America/Los_Angeles", time(9), time(17, 30),
     "Fast hiring loop: one technical call plus one team call."),
    ("Thames Insight", "Insurance", "GB", "Europe/London", time(9), time(17, 30),
     "Long engagements; prefers monthly reviews to bi-weekly ones."),
    ("Spreewald Mobility", "Mobility", "DE", "Europe/Berlin", time(9), time(17),
     "Works in English; GDPR-sensitive data, no production access in week one."),
    ("Iberia Retail Data", "Retail", "ES", "Europe/Madrid", time(9), time(18),
     "Spanish speakers welcome; late lunch, the team is online until 18:00."),
    ("Canal Logistics", "Logistics", "NL", "Europe/Amsterdam", time(8, 30), time(17),
     "Route optimisation and forecasting; very direct feedback culture."),
    ("Lumière Media", "Media", "FR", "Europe/Paris", time(9, 30), time(18),
     "Recommendation and content-tagging work; budget reviewed each quarter."),
    ("Harborview Insurance", "Insurance", "US", "America/New_York", time(8, 30), time(17),
     "Procurement needs a signed SOW before a start date is confirmed."),
    ("Nordlys Energy", "Energy", "NO", "Europe/Oslo", time(8), time(16),
     "Early starters; overlap with Brazil and Argentina works best."),
    ("Emerald Bank", "Banking", "IE", "Europe/Dublin", time(9), time(17, 30),
     "Security vetting takes two weeks; plan starts accordingly."),
]  # fmt: skip
# Further clients are made up from these parts, in these zones.
CLIENT_ADJECTIVES = _items(
    "Blue, Bright, Cedar, Copper, Granite, Harbor, Maple, Silver, Quantum, Beacon, Atlas, "
    "Orchard, Vertex, Lantern, Juniper"
)
CLIENT_NOUNS = _items(
    "River, Peak, Signal, Forge, Compass, Harvest, Circuit, Meadow, Prism, Anchor, Falcon"
)
CLIENT_INDUSTRIES = _items(
    "Fintech, Healthcare, Retail, Logistics, Media, Insurance, Energy, Travel, Education, SaaS"
)
CLIENT_ZONES = [
    ("US", "America/New_York", time(9), time(17)),
    ("US", "America/Chicago", time(8, 30), time(17)),
    ("US", "America/Denver", time(8), time(16, 30)),
    ("US", "America/Los_Angeles", time(9), time(17, 30)),
    ("GB", "Europe/London", time(9), time(17, 30)),
    ("DE", "Europe/Berlin", time(9), time(17)),
    ("ES", "Europe/Madrid", time(9), time(18)),
    ("NL", "Europe/Amsterdam", time(8, 30), time(17)),
    ("FR", "Europe/Paris", time(9), time(17, 30)),
    ("PT", "Europe/Lisbon", time(9), time(18)),
]
# The client's person who signs in to the portal.
CLIENT_CONTACTS = _items(
    "Emily Carter, James Walsh, Sophie Turner, Lukas Becker, Marta Ruiz, Daan de Vries, "
    "Claire Dubois, Michael Chen, Hannah Schmidt, Oliver Hughes, Ingrid Larsen, Sean O'Brien, "
    "Laura Bianchi, David Kim, Anna Kowalski"
)

# Engineer countries: ISO code, IANA zone, cities in that zone with a mobile number pattern
# (# is a digit), the language of the names, and the share of the roster.
COUNTRIES = [
    ("BR", "America/Sao_Paulo", {
        "São Paulo": "+55 11 9####-####",
        "Campinas": "+55 19 9####-####",
        "Rio de Janeiro": "+55 21 9####-####",
        "Belo Horizonte": "+55 31 9####-####",
        "Curitiba": "+55 41 9####-####",
        "Florianópolis": "+55 48 9####-####",
        "Porto Alegre": "+55 51 9####-####",
    }, "pt", 28),
    ("MX", "America/Mexico_City", {
        "Ciudad de México": "+52 55 #### ####",
        "Guadalajara": "+52 33 #### ####",
        "Puebla": "+52 222 ### ####",
        "Querétaro": "+52 442 ### ####",
    }, "es", 18),
    ("AR", "America/Argentina/Buenos_Aires", {
        "Buenos Aires": "+54 9 11 ####-####",
        "La Plata": "+54 9 221 ###-####",
        "Mar del Plata": "+54 9 223 ###-####",
    }, "es", 14),
    ("CO", "America/Bogota", dict.fromkeys(
        ["Bogotá", "Medellín", "Cali", "Barranquilla"], "+57 3## ### ####"), "es", 13),
    ("CL", "America/Santiago", dict.fromkeys(
        ["Santiago", "Valparaíso", "Concepción", "Viña del Mar"], "+56 9 #### ####"), "es", 11),
    ("PE", "America/Lima", dict.fromkeys(["Lima", "Arequipa", "Trujillo"], "+51 9## ### ###"),
     "es", 5),
    ("UY", "America/Montevideo", dict.fromkeys(["Montevideo", "Canelones"], "+598 9# ### ###"),
     "es", 5),
    ("CR", "America/Costa_Rica", dict.fromkeys(["San José", "Heredia", "Cartago"],
                                               "+506 8### ####"), "es", 4),
    ("EC", "America/Guayaquil", dict.fromkeys(["Quito", "Guayaquil", "Cuenca"],
                                              "+593 9# ### ####"), "es", 4),
]  # fmt: skip

FIRST_NAMES = {
    "pt": _items(
        "João, Pedro, Lucas, Gabriel, Rafael, Thiago, Felipe, Bruno, Mateus, Gustavo, Vinícius, "
        "Ana, Beatriz, Camila, Juliana, Larissa, Mariana, Fernanda, Letícia, Carolina, Isabela, "
        "Renata"
    ),
    "es": _items(
        "Santiago, Mateo, Sebastián, Diego, Alejandro, Nicolás, Martín, Andrés, Javier, Tomás, "
        "Joaquín, Valentina, Camila, Sofía, Isabella, Daniela, Lucía, Gabriela, Mariana, "
        "Florencia, Paula, Catalina, Ximena"
    ),
}
LAST_NAMES = {
    "pt": _items(
        "Silva, Santos, Oliveira, Souza, Pereira, Costa, Rodrigues, Almeida, Nascimento, Lima, "
        "Araújo, Ferreira, Carvalho, Gomes, Ribeiro, Barbosa, Rocha, Teixeira, Moreira, Cardoso"
    ),
    "es": _items(
        "García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez, Gómez, Díaz, "
        "Torres, Ramírez, Flores, Vargas, Castro, Rojas, Morales, Herrera, Medina, Aguilar, "
        "Muñoz, Castillo, Ortiz, Silva"
    ),
}

# Local working hours and their weights: most keep 09–18, some shift early for European
# clients or late for the US west coast.
ENGINEER_HOURS = {
    (time(9), time(18)): 55,
    (time(8), time(17)): 12,
    (time(7), time(16)): 11,
    (time(10), time(19)): 12,
    (time(11), time(20)): 10,
}

ENGINEER_NOTES = [
    "Prefers long engagements; open to a short trip to the client's office.",
    "Two weeks' notice at the current job.",
    "Referred by a placed engineer.",
    "Asked for a team that pair programs; thrives with code review.",
    "Strong written English; very good at async updates.",
    "Wants to move towards LLM work.",
    "Teaches a university course on Saturdays.",
]
VETTING_NOTES_GOOD = [
    "Clean, well-tested take-home; clear trade-off discussion.",
    "Strong system design; explained batching versus streaming well.",
    "Very good API integration exercise; handled retries and rate limits.",
    "Good communicator; asked the right clarifying questions.",
]
VETTING_NOTES_BAD = [
    "Take-home incomplete; struggled with tests.",
    "English not yet at the level client calls need.",
    "Could not explain the design of their own past project.",
]

# Why a client declines a proposal, with the note a client would write.
DECLINE_REASONS = {
    "rate": "Above the budget we have for this role.",
    "skills": "Needs more hands-on experience with our stack.",
    "timezone": "Overlap with the team's core hours is too short.",
    "availability": "We need someone who can start earlier.",
    "culture_fit": "The team felt the communication style was not a match.",
    "other": "We filled the role internally.",
}

REVIEW_COMMENTS_GOOD = [
    "Delivered everything planned for the sprint; great PR descriptions.",
    "Took ownership of the evaluation harness and unblocked the team.",
    "Very reliable; demos are clear and on time.",
    "Good catch on the data leakage in the training set.",
    "Integrates well with the team; helpful in reviews.",
    "Shipped the new pipeline a week early.",
]
REVIEW_COMMENTS_BAD = [
    "Missed two deadlines; updates came late.",
    "Code needed several review rounds; tests were thin.",
    "Hard to reach during our afternoon; stand-up attendance slipped.",
    "Scope misunderstood twice; we are re-planning the work.",
]
ACTION_ITEMS = [
    "Agree on a written end-of-day update.",
    "Pair with the tech lead on the next feature.",
    "Move stand-up 30 minutes earlier for better overlap.",
    "Add integration tests before the next release.",
    "Schedule a three-way call with the account manager.",
]

# Timesheets: a working day's hours (7–9, most often 8), the remarks engineers put on a day
# with the hours such a day has, and the week a client sends back.
DAY_HOURS = _items("7, 7.5, 7.75, 8, 8, 8, 8, 8.25, 8.5, 8.5, 8.75, 9")
DAY_NOTES = [
    ("Public holiday; worked the morning", "3", "4"),
    ("Doctor's appointment in the afternoon", "4.5", "6"),
    ("Half day off", "4", "4"),
    ("Release night", "9.5", "11"),
    ("On-site day with the client team", "9", "10"),
]
WEEKEND_NOTE = "Production incident"  # the odd Saturday, two or three hours
LOW_HOURS_NOTE = "Project paused by the client; support only"
OFFSITE_NOTE = "Client offsite"
OFFSITE_REASON = (
    "{day} was a half day for contractors at our offsite: please log 4 hours for it and "
    "submit the week again."
)
ON_BEHALF_NOTE = "{name} confirmed the hours by e-mail."
