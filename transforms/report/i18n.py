# ruff: noqa: E501  (sentences read better unwrapped)
"""Words and formats of the report in French (default) and English.

Why a table and not gettext: the report has a few dozen labels, the team reads French, and
the English version exists for partners and CERT exchanges; one dict per language is enough
and keeps the templates free of language logic.
"""

from __future__ import annotations

from datetime import date, datetime

from transforms.lake.duck import DEFAULT_TIMEZONE

_FR_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_FR_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
              "octobre", "novembre", "décembre")

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Vigie — rapport de sécurité du {day}",
        "paris_time": "heure de Paris",
        "local_time": "heure locale ({zone})",
        "subtitle": "Journaux ProConnect et application partenaire, journée du {day} (UTC)",
        "glance": "La journée en bref",
        "incidents": "Incidents",
        "no_incident": "Aucun incident ce jour.",
        "people_exposed": "Personnes exposées",
        "with_nir": "dont avec NIR",
        "new_today": "nouvelles ce jour",
        "findings": "Détections",
        "activity": "Activité du jour",
        "activity_line": "{events} événements applicatifs, {accounts} comptes actifs, {reads} consultations de fiches portant sur {people} personnes.",
        "severity": "Gravité",
        "incident": "Incident",
        "story": "Ce qui s'est passé",
        "who": "Qui",
        "from_where": "D'où",
        "when": "Quand",
        "what": "Quoi",
        "how_many": "Combien de personnes",
        "rules": "Règles déclenchées",
        "attack": "Techniques ATT&CK",
        "accounts": "Comptes",
        "sessions": "Sessions",
        "timeline": "Consultations par heure ({zone}) du compte {account}, comparées à son profil habituel",
        "days_chart": "Personnes consultées par jour par le compte {account} (14 jours)",
        "legend_incident": "sessions de l'incident",
        "legend_other": "autre activité du compte",
        "legend_baseline": "profil habituel (moyenne des 28 jours précédents)",
        "legend_baseline_values": " : {usual} par jour, {today} ce jour",
        "no_data": "avant le début du lac : pas de données",
        "runbook": "Que faire maintenant",
        "runbook_for": "Règle {rule}",
        "trend": "Détections par règle sur 14 jours",
        "no_finding_14": "Aucune détection sur les 14 derniers jours.",
        "rule": "Règle",
        "total": "Total",
        "health": "Santé de l'exécution",
        "files": "Fichiers reçus portant sur ce jour",
        "file": "Fichier",
        "source": "Source",
        "lines": "Lignes lues",
        "rows": "Lignes écrites",
        "quarantined": "En quarantaine",
        "late_files": "Fichiers arrivés en retard (jours rejoués)",
        "no_late": "Aucun fichier en retard.",
        "quarantine_reasons": "Motifs de quarantaine",
        "rules_not_run": "Règles qui n'ont pas pu s'exécuter",
        "all_rules_ran": "Toutes les règles se sont exécutées.",
        "detection_unavailable": "La détection n'a pas tourné pour ce jour : {reason}",
        "balanced": "Chaque ligne est comptée (lues = écrites + en quarantaine).",
        "unbalanced": "ATTENTION : des lignes ne sont pas comptées.",
        "no_file": "Aucun fichier reçu pour ce jour.",
        "exposed_files": "Listes des personnes exposées (pseudonymes) : {path}",
        "privacy": "Ce rapport ne contient que des pseudonymes et des décomptes, jamais d'identifiant de bénéficiaire ni d'adresse e-mail en clair.",
        "since": "en cours depuis le {day}",
        "new_incident": "nouveau",
        "story_who": "Compte {account} ({org}), rôle {roles}.",
        "story_where": "Depuis {sources}.",
        "story_when": "Entre le {first} et le {last} ({zone}), sur {days} jour(s) ; {off_pct} % des consultations hors heures ouvrées.",
        "story_what": "{reads} consultations de fiches ({out_pct} % hors portefeuille), {lists} lignes de listes, {exports} lignes exportées, {created} comptes créés, navigateur : {ua}.",
        "story_count": "{people} personnes exposées, dont {nir} avec leur numéro de sécurité sociale (NIR).",
        "story_scope": "Périmètre complet depuis la première activité malveillante trouvée ({first}), lac fouillé depuis le {searched} ; les seules sessions signalées en exposent {flagged}.",
        "story_created": "Comptes créés : {accounts}.",
        "estimate": "(estimation : décompte exact non disponible)",
        "generated": "Rapport produit par Vigie à partir des données du lac ; relancer le même jour donne le même rapport.",
        "finding_count": "{n} détection(s) ce jour, {total} au total",
        "none": "aucun",
        "severity_count": "{label} : {count}",
        "reason_count": "{label} ({code}) : {n} ligne(s)",
        "list_sep": " ; ",
        "rule_skipped": "non exécutée, données absentes ce jour : {needs}",
        "rule_failed": "en échec : {error}",
        "colon": " : ",
        "semicolon": " ; ",
        "attacker": "Attaquant",
        "legitimate": "Titulaire légitime",
        "browser": "navigateur",
        "devices": "{n} appareil(s)",
        "story_who_many": "Comptes {account} ({org}), rôles {roles}.",
        "story_chain": "Le gestionnaire {creators} ({org}) a créé les comptes {created}, qui ont ensuite consulté des fiches ; rôles {roles}.",
        "story_also": "Autres comptes : {accounts}.",
        "story_victim": "Le titulaire est la victime : sa session a été rejouée depuis un autre réseau.",
        "sessions_n": "{n} session(s)",
        "full_report": "Rapport complet",
        "exposed_lists": "listes des personnes exposées",
        "rule_runbooks": "Fiches réflexes de chaque règle (fusionnées ci-dessus)",
        "phase_contain": "Contenir",
        "phase_scope": "Mesurer l'étendue",
        "phase_notify": "Notifier",
        "changes": "Ce qui a changé depuis la nuit dernière",
        "group_new": "Nouveaux incidents",
        "group_grown": "Incidents qui ont grandi",
        "group_open": "Toujours ouverts",
        "triaged": "Pris en charge ou clos",
        "no_change": "aucun",
        "grew_people": "+{n} personnes exposées",
        "grew_accounts": "nouveaux comptes : {accounts}",
        "grew_sessions": "+{n} session(s)",
        "status_open": "ouvert",
        "status_acknowledged": "pris en charge",
        "status_false_positive": "faux positif",
        "status_closed": "clos",
        "status_reopened": "rouvert : a grandi depuis sa clôture",
        "decision": "{status} par {analyst} le {when} : « {note} »",
        "decision_until": " (jusqu'au {until})",
        "suppressions": "Suppressions en vigueur",
        "no_suppression": "Aucune suppression en vigueur.",
        "kind_account": "compte",
        "kind_rule": "règle",
        "kind_network": "réseau",
        "suppression_cols": "Portée|Valeur|Règle|Jusqu'au|Motif|Par|Retenues ce jour",
        "severity_rule": "Gravité : la plus haute entre celle du comportement et celle de l'exposition (≥ 1 000 personnes ou ≥ 100 NIR : critique ; ≥ 100 ou ≥ 10 NIR : élevée).",
        "change": "Évolution",
    },
    "en": {
        "title": "Vigie — security report for {day}",
        "paris_time": "Paris time",
        "local_time": "local time ({zone})",
        "subtitle": "ProConnect and partner-application logs, day of {day} (UTC)",
        "glance": "The day at a glance",
        "incidents": "Incidents",
        "no_incident": "No incident today.",
        "people_exposed": "People exposed",
        "with_nir": "of whom with NIR",
        "new_today": "new today",
        "findings": "Findings",
        "activity": "Today's activity",
        "activity_line": "{events} application events, {accounts} active accounts, {reads} record views covering {people} people.",
        "severity": "Severity",
        "incident": "Incident",
        "story": "What happened",
        "who": "Who",
        "from_where": "From where",
        "when": "When",
        "what": "What",
        "how_many": "How many people",
        "rules": "Rules that fired",
        "attack": "ATT&CK techniques",
        "accounts": "Accounts",
        "sessions": "Sessions",
        "timeline": "Record views per hour ({zone}) by account {account}, against its usual profile",
        "days_chart": "People read per day by account {account} (14 days)",
        "legend_incident": "the incident's sessions",
        "legend_other": "the account's other activity",
        "legend_baseline": "usual profile (mean of the previous 28 days)",
        "legend_baseline_values": ": {usual} a day, {today} today",
        "no_data": "before the lake's first day: no data",
        "runbook": "What to do now",
        "runbook_for": "Rule {rule}",
        "trend": "Findings per rule over 14 days",
        "no_finding_14": "No finding in the last 14 days.",
        "rule": "Rule",
        "total": "Total",
        "health": "Run health",
        "files": "Files received for this day",
        "file": "File",
        "source": "Source",
        "lines": "Lines read",
        "rows": "Rows written",
        "quarantined": "Quarantined",
        "late_files": "Files that arrived late (days re-run)",
        "no_late": "No late file.",
        "quarantine_reasons": "Quarantine reasons",
        "rules_not_run": "Rules that could not run",
        "all_rules_ran": "Every rule ran.",
        "detection_unavailable": "Detection did not run for this day: {reason}",
        "balanced": "Every line is accounted for (read = written + quarantined).",
        "unbalanced": "WARNING: some lines are unaccounted for.",
        "no_file": "No file received for this day.",
        "exposed_files": "Lists of the people exposed (pseudonyms): {path}",
        "privacy": "This report carries pseudonyms and counts only, never a beneficiary's identifier or an e-mail address in clear.",
        "since": "ongoing since {day}",
        "new_incident": "new",
        "story_who": "Account {account} ({org}), role {roles}.",
        "story_where": "From {sources}.",
        "story_when": "Between {first} and {last} ({zone}), over {days} day(s); {off_pct}% of record views outside working hours.",
        "story_what": "{reads} record views ({out_pct}% out of portfolio), {lists} list rows, {exports} exported rows, {created} accounts created, browser: {ua}.",
        "story_count": "{people} people exposed, {nir} of them with their social security number (NIR).",
        "story_scope": "Full scope since the first malicious activity found ({first}), the lake searched back to {searched}; the flagged sessions alone exposed {flagged}.",
        "story_created": "Accounts created: {accounts}.",
        "estimate": "(estimate: exact count not available)",
        "generated": "Report produced by Vigie from the lake's data; re-running the same day gives the same report.",
        "finding_count": "{n} finding(s) today, {total} in all",
        "none": "none",
        "severity_count": "{count} {label}",
        "reason_count": "{label} ({code}): {n} line(s)",
        "list_sep": "; ",
        "rule_skipped": "skipped, data missing that day: {needs}",
        "rule_failed": "failed: {error}",
        "colon": ": ",
        "semicolon": "; ",
        "attacker": "Attacker",
        "legitimate": "Legitimate holder",
        "browser": "browser",
        "devices": "{n} device(s)",
        "story_who_many": "Accounts {account} ({org}), roles {roles}.",
        "story_chain": "Manager {creators} ({org}) created accounts {created}, which then read records; roles {roles}.",
        "story_also": "Other accounts: {accounts}.",
        "story_victim": "The account holder is the victim: their session was replayed from another network.",
        "sessions_n": "{n} session(s)",
        "full_report": "Full report",
        "exposed_lists": "lists of the people exposed",
        "rule_runbooks": "Each rule's own runbook (merged above)",
        "phase_contain": "Contain",
        "phase_scope": "Scope",
        "phase_notify": "Notify",
        "changes": "What changed since last night",
        "group_new": "New incidents",
        "group_grown": "Incidents that grew",
        "group_open": "Still open",
        "triaged": "Acknowledged or closed",
        "no_change": "none",
        "grew_people": "+{n} people exposed",
        "grew_accounts": "new accounts: {accounts}",
        "grew_sessions": "+{n} session(s)",
        "status_open": "open",
        "status_acknowledged": "acknowledged",
        "status_false_positive": "false positive",
        "status_closed": "closed",
        "status_reopened": "reopened: grew since it was closed",
        "decision": "{status} by {analyst} on {when}: \u201c{note}\u201d",
        "decision_until": " (until {until})",
        "suppressions": "Suppressions in force",
        "no_suppression": "No suppression in force.",
        "kind_account": "account",
        "kind_rule": "rule",
        "kind_network": "network",
        "suppression_cols": "Scope|Value|Rule|Until|Reason|By|Held back today",
        "severity_rule": "Severity: the higher of the behaviour's and the exposure's (≥ 1,000 people or ≥ 100 NIR: critical; ≥ 100 or ≥ 10 NIR: high).",
        "change": "Change",
    },
}

SEVERITY = {
    "fr": {"critical": "critique", "high": "élevée", "medium": "moyenne", "low": "faible", "informational": "info"},
    "en": {"critical": "critical", "high": "high", "medium": "medium", "low": "low", "informational": "info"},
}

# Quarantine reason codes (docs/lake.md, `quarantine.reason_code`): the code stays shown (it is
# what one queries), followed by its meaning in the report's language.
REASONS = {
    "fr": {"invalid_json": "JSON illisible", "empty_line": "ligne vide", "not_utf8": "encodage autre qu'UTF-8",
           "line_too_long": "ligne trop longue", "missing_field": "champ obligatoire absent",
           "wrong_type": "champ d'un type inattendu", "bad_time": "horodatage illisible",
           "bad_value": "valeur non reconnue", "clock_skew": "horodatage trop éloigné du jour du fichier",
           "duplicate": "événement en double"},
    "en": {"invalid_json": "unreadable JSON", "empty_line": "empty line", "not_utf8": "not UTF-8",
           "line_too_long": "line too long", "missing_field": "required field missing",
           "wrong_type": "field of an unexpected type", "bad_time": "unreadable timestamp",
           "bad_value": "unrecognised value", "clock_skew": "timestamp too far from the file's day",
           "duplicate": "duplicate event"},
}

# Network tags (`network_tags.csv`) as shown in an incident's sources.
NET_TAGS = {
    "fr": {"office": "réseau de structure", "vpn": "VPN", "hosting": "hébergeur", "mobile": "réseau mobile",
           "sp_backend": "serveur du fournisseur de service"},
    "en": {"office": "office network", "vpn": "VPN", "hosting": "hosting", "mobile": "mobile network",
           "sp_backend": "service provider back-end"},
}

SOURCES = {
    "fr": {"app": "application partenaire", "proconnect": "ProConnect"},
    "en": {"app": "partner application", "proconnect": "ProConnect"},
}

# Warnings the reader leaves in the ingest manifest (transforms/ingest/read.py): their fixed parts.
WARNINGS = {
    "fr": {"corrupt compressed stream: ": "flux compressé corrompu : ",
           "truncated compressed stream: the file ends mid-member":
           "flux compressé tronqué : le fichier s'arrête au milieu d'un bloc gzip"},
    "en": {},
}

# What a rule can need (yml `requires`, transforms/detect/runner.py REQUIREMENTS).
REQUIREMENTS = {
    "fr": {"app": "journaux de l'application", "proconnect": "journaux ProConnect", "geo": "géolocalisation",
           "asn": "numéros d'AS", "network_tags": "étiquettes de réseaux (network_tags.csv)"},
    "en": {"app": "application logs", "proconnect": "ProConnect logs", "geo": "geolocation",
           "asn": "AS numbers", "network_tags": "network tags (network_tags.csv)"},
}


# Why a night is incomplete or failed (transforms/nightly.py NightStatus codes): the banner at
# the top of the report, the notification and the run summary all say it in these words.
NIGHT: dict[str, dict[str, str]] = {
    "fr": {
        "banner_incomplete": "Données manquantes : {reasons} — l'absence d'incident ne vaut pas absence d'attaque.",
        "banner_failed": "La nuit a échoué : {reasons} — ce rapport ne couvre pas la journée.",
        "no_incident_incomplete": "Aucun incident détecté sur les données reçues, mais la nuit est incomplète : l'absence d'incident ne vaut pas absence d'attaque.",
        "source_missing": "aucun fichier {source} pour ce jour (données tardives encore attendues : la nuit sera rejouée à leur arrivée)",
        "source_empty": "fichier {source} {file} sans ligne exploitable ({lines} lignes lues, {quarantined} en quarantaine)",
        "rules_skipped": "{n} règle(s) non exécutée(s) faute de {needs} : {rules}",
        "rules_skipped_reference": "{n} règle(s) non exécutée(s) faute de {needs} : {rules} (données de référence cherchées dans {path})",
        "rules_failed": "{n} règle(s) en échec : {rules} ({message})",
        "reference_missing": "données de référence absentes de {path} : {files}",
        "error": "erreur {type} : {message}",
        "subject_incomplete": "Vigie : nuit incomplète ({days})",
        "subject_failed": "Vigie : nuit en échec ({days})",
        "critical_subject": "Vigie : incident critique {uid}",
        "critical_text": "{people} personnes exposées (dont {nir} avec NIR) ; comptes : {accounts}",
    },
    "en": {
        "banner_incomplete": "Missing data: {reasons} — no incident does not mean no attack.",
        "banner_failed": "The night failed: {reasons} — this report does not cover the day.",
        "no_incident_incomplete": "No incident found in the data received, but the night is incomplete: no incident does not mean no attack.",
        "source_missing": "no {source} file for this day (late data still expected: the night is re-run when it arrives)",
        "source_empty": "{source} file {file} has no usable line ({lines} lines read, {quarantined} quarantined)",
        "rules_skipped": "{n} rule(s) skipped for lack of {needs}: {rules}",
        "rules_skipped_reference": "{n} rule(s) skipped for lack of {needs}: {rules} (reference data looked for in {path})",
        "rules_failed": "{n} rule(s) failed: {rules} ({message})",
        "reference_missing": "reference data missing from {path}: {files}",
        "error": "{type} error: {message}",
        "subject_incomplete": "Vigie: incomplete night ({days})",
        "subject_failed": "Vigie: failed night ({days})",
        "critical_subject": "Vigie: critical incident {uid}",
        "critical_text": "{people} people exposed ({nir} with NIR); accounts: {accounts}",
    },
}


NIGHT_STATUS = {
    "fr": {"complete": "complète", "incomplete": "incomplète", "failed": "en échec"},
    "en": {"complete": "complete", "incomplete": "incomplete", "failed": "failed"},
}


def describe_reason(reason: dict, lang: str) -> str:
    """One NightStatus reason in words (an unknown code is shown as it is)."""
    words = NIGHT[lang]
    code = reason.get("code", "")
    if code == "source_missing":
        return words[code].format(source=translate(SOURCES, reason["source"], lang))
    if code == "source_empty":
        return words[code].format(source=translate(SOURCES, reason["source"], lang), file=reason["file"],
                                  lines=number(reason.get("lines_read"), lang),
                                  quarantined=number(reason.get("rows_quarantined"), lang))
    if code == "rules_skipped":
        needs = ", ".join(translate(REQUIREMENTS, n, lang) for n in reason.get("needs", []))
        key = "rules_skipped_reference" if reason.get("reference") else code
        return words[key].format(n=len(reason["rules"]), needs=needs, rules=", ".join(reason["rules"]),
                                 path=reason.get("reference"))
    if code == "rules_failed":
        return words[code].format(n=len(reason["rules"]), rules=", ".join(reason["rules"]),
                                  message=reason.get("message", ""))
    if code == "reference_missing":
        return words[code].format(path=reason["path"], files=", ".join(reason["files"]))
    if code == "error":
        return words[code].format(type=reason.get("type", "?"), message=reason.get("message", ""))
    return str(code)


def describe_reasons(reasons: list[dict], lang: str) -> str:
    return " ; ".join(describe_reason(r, lang) for r in reasons) if lang == "fr" else \
        "; ".join(describe_reason(r, lang) for r in reasons)


def night_subject(status: str, days: list[str], lang: str) -> str:
    shown = ", ".join(days[:5]) + (f" (+{len(days) - 5})" if len(days) > 5 else "")
    return NIGHT[lang]["subject_failed" if status == "failed" else "subject_incomplete"].format(days=shown)


def translate(table: dict[str, dict[str, str]], value: object, lang: str) -> str:
    """`value` in `lang` when the table knows it, else as it is (a code is better than nothing)."""
    text = "" if value is None else str(value)
    return table[lang].get(text, text)


def warning(text: str, lang: str) -> str:
    """An ingest warning in `lang`: its known fixed parts translated, the details (an error) kept."""
    for english, local in WARNINGS[lang].items():
        text = text.replace(english, local)
    return text


def rule_status(rule: dict, lang: str) -> str:
    """Why a rule did not run (runner messages `skipped: needs geo, asn`, `failed: <error>`)."""
    message = str(rule.get("message") or "")
    if message.startswith("skipped: needs "):
        needs = [translate(REQUIREMENTS, n.strip(), lang) for n in message.removeprefix("skipped: needs ").split(",")]
        return LABELS[lang]["rule_skipped"].format(needs=", ".join(needs))
    if message.startswith("failed: "):
        return LABELS[lang]["rule_failed"].format(error=message.removeprefix("failed: "))
    return message or str(rule.get("status") or "")


def local_time_name(timezone: str, lang: str) -> str:
    """How the report names its local times: "heure de Paris" for the default zone (Europe/Paris),
    else "heure locale (Indian/Reunion)" with the zone's name (the `timezone` setting)."""
    if timezone == DEFAULT_TIMEZONE:
        return LABELS[lang]["paris_time"]
    return LABELS[lang]["local_time"].format(zone=timezone)


def number(value: object, lang: str) -> str:
    """12 345 in French (narrow no-break space), 12,345 in English."""
    if value is None:
        return "0"
    text = f"{int(value):,}" if isinstance(value, int | float | str) else str(value)
    return text.replace(",", "\u202f") if lang == "fr" else text


def long_date(day: date, lang: str) -> str:
    if lang == "fr":
        first = "1er" if day.day == 1 else str(day.day)
        return f"{_FR_DAYS[day.weekday()]} {first} {_FR_MONTHS[day.month - 1]} {day.year}"
    return f"{day:%A} {day.day} {day:%B %Y}"


def numeric_date(day: date, lang: str) -> str:
    """30/11/2025 in French, 2025-11-30 in English."""
    return day.strftime("%d/%m/%Y") if lang == "fr" else day.isoformat()


def day_month(day: date, lang: str) -> str:
    """30/11 in French, 11-30 in English (column heads of the 14-day table)."""
    return day.strftime("%d/%m") if lang == "fr" else day.strftime("%m-%d")


def short_time(value: datetime | None, lang: str) -> str:
    if value is None:
        return "?"
    return value.strftime("%d/%m/%Y %H:%M") if lang == "fr" else value.strftime("%Y-%m-%d %H:%M")
