"""Header matching: synonyms per upload kind and the detection of the exporting tool."""

from __future__ import annotations

import re

from .errors import IngestError


def norm(header: str) -> str:
    """Case-, space- and punctuation-insensitive form of a header."""
    return re.sub(r"[^a-z0-9]", "", header.lower().replace("\ufeff", ""))


# target field -> accepted header spellings (normalized with norm()). Order matters: first match wins.
SYNONYMS: dict[str, dict[str, list[str]]] = {
    "crm": {
        "opportunity_id": ["opportunityid", "id", "recordid", "dealid", "opportunity18digitid", "objectid"],
        "opportunity_name": ["opportunityname", "name", "dealname", "dealtitle", "title", "opportunity"],
        "account_name": ["accountname", "account", "associatedcompany", "company", "companyname",
                         "dealorganization", "organization", "organisation", "customer"],
        "owner_name": ["opportunityowner", "dealowner", "owner", "ownername", "salesagent", "salesrep", "rep",
                       "assignedto", "opportunityownerfullname", "accountowner"],
        "owner_email": ["owneremail", "opportunityowneremail", "dealowneremail", "salesagentemail", "repemail"],
        "owner_id": ["ownerid", "opportunityownerid", "hubspotownerid", "dealownerid"],
        "stage": ["stage", "stagename", "dealstage", "opportunitystage", "pipelinestage", "dealstage2", "phase"],
        "status": ["dealstatus", "status"],
        "is_won": ["iswon", "won"],
        "is_closed": ["isclosed", "closed"],
        "amount_currency": ["amountcurrency", "currencyisocode", "currency", "dealcurrency", "opportunitycurrency"],
        "amount": ["amount", "dealvalue", "value", "closevalue", "amountconverted", "dealamount", "revenue"],
        "close_date": ["closedate", "dealclosedate", "closeddate", "closedon", "expectedclosedate",
                       "dealexpectedclosedate"],
        "won_time": ["dealwontime", "wontime"],
        "lost_time": ["deallosttime", "losttime"],
        "created_date": ["createddate", "createdate", "dealdealcreated", "dealcreated", "dealcreatedate",
                         "engagedate", "createdon", "opportunitycreateddate", "dealaddtime", "addtime"],
        "segment": ["segment", "customersegment", "marketsegment", "dealsegment", "accountsegment"],
        "deal_type": ["type", "dealtype", "opportunitytype", "opportunityrecordtype"],
        "lead_source": ["leadsource", "source", "dealsource", "originalsource"],
        "product": ["product", "productname", "series"],
        "message_tag": ["message", "messaging", "talktrack", "primarycampaignsource", "campaign", "campaignname"],
    },
    "crm_users": {
        "crm_user_id": ["id", "userid", "ownerid"],
        "rep_name": ["name", "fullname", "username"],
        "first_name": ["firstname"],
        "last_name": ["lastname"],
        "rep_email": ["email", "emailaddress"],
    },
    "quiz": {
        "attempt_id": ["attemptid", "submissionid", "responseid"],
        "rep_email": ["emailaddress", "email", "useremail", "learneremail", "repemail", "username"],
        "rep_name": ["name", "fullname", "learner", "learnername", "user", "rep", "repname", "participant"],
        "first_name": ["firstname", "givenname"],
        "last_name": ["lastname", "surname", "familyname"],
        "module": ["quiz", "module", "course", "quizname", "modulename", "coursename", "assessment", "activity",
                   "certification", "challenge", "test", "lesson", "message"],
        "attempted_at": ["startedon", "timestamp", "attemptedat", "attemptdate", "date", "completedon",
                         "completed", "submittedat", "submitted", "completiondate", "startdate", "datecompleted"],
        "score": ["grade", "score", "percent", "percentage", "scorepercent", "points", "totalscore",
                  "marks", "mark"],
        "max_score": ["maxscore", "maximum", "maxpoints", "outof", "totalpoints", "pointspossible",
                      "possiblepoints", "maxgrade"],
        "passed": ["passed", "pass", "passfail", "result", "status", "outcome", "certified", "completionstatus"],
    },
    "feedback": {
        "feedback_date": ["date", "timestamp", "feedbackdate", "submittedat", "calldate", "createdat", "loggedon"],
        "rep_email": ["email", "emailaddress", "repemail", "submittedby", "author"],
        "rep_name": ["rep", "repname", "name", "salesrep", "owner", "user", "fullname"],
        "topic": ["message", "topic", "messaging", "talktrack", "subject", "messagename", "valueprop"],
        "rating": ["rating", "score", "stars", "howwelldiditland", "reception", "csat"],
        "outcome": ["outcome", "result", "prospectreaction", "reaction", "response"],
        "notes": ["notes", "comment", "comments", "feedback", "verbatim", "details", "note", "text"],
    },
    "messages": {
        "message_name": ["message", "name", "messagename", "title", "valueproposition", "talktrack", "campaign"],
        "launch_date": ["launchdate", "launch", "launchedon", "startdate", "date", "live", "golive"],
        "target_segment": ["targetsegment", "segment", "audience", "target"],
        "owner": ["owner", "productmarketer", "pmm", "author"],
        "description": ["description", "summary", "details", "notes"],
        "adoption_target": ["adoptiontarget", "targetadoption", "certificationtarget", "goal"],
        "target_date": ["targetdate", "adoptiontargetdate", "duedate", "deadline", "goaldate"],
    },
    "reps": {
        "crm_user_id": ["userid", "crmuserid", "salesforceid", "ownerid", "id"],
        "rep_name": ["name", "fullname", "rep", "repname", "salesagent", "salesrep", "employee", "employeename"],
        "first_name": ["firstname", "givenname"],
        "last_name": ["lastname", "surname", "familyname"],
        "rep_email": ["email", "emailaddress", "workemail", "repemail"],
        "team": ["team", "teamname", "salesteam", "pod", "squad"],
        "region": ["region", "regionaloffice", "office", "territory", "geo"],
        "manager": ["manager", "managername", "reportsto", "salesmanager"],
        "hire_date": ["hiredate", "startdate", "hired", "joined", "dateofhire"],
    },
}

# Fields a file of each kind cannot do without; tuples are "one of".
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    "crm": [("owner_name", "owner_email", "owner_id"), ("stage", "status", "is_won"),
            ("close_date", "won_time", "lost_time")],
    "crm_users": [("crm_user_id",), ("rep_name", "rep_email", "last_name")],
    "quiz": [("rep_email", "rep_name", "last_name"), ("module",), ("attempted_at",), ("score", "passed")],
    "feedback": [("feedback_date",), ("rep_email", "rep_name"), ("topic",)],
    "messages": [("message_name",)],
    "reps": [("rep_name", "rep_email", "last_name")],
}

KINDS = ("crm", "quiz", "feedback", "messages", "reps")


def match_columns(kind: str, headers: list[str], overrides: dict[str, str] | None = None) -> dict[str, int]:
    """Map target fields to column positions; explicit overrides (target -> header) win."""
    normalized = [norm(h) for h in headers]
    synonyms = SYNONYMS[kind]
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for target, header in (overrides or {}).items():
        if target not in synonyms:
            raise IngestError(f"--map {target}=...: unknown field for {kind} files; "
                              f"known fields: {', '.join(synonyms)}")
        if norm(header) not in normalized:
            raise IngestError(f"--map {target}={header}: no such column; the file has: {', '.join(headers)}")
        mapping[target] = normalized.index(norm(header))
        used.add(mapping[target])
    for target, names in synonyms.items():
        if target in mapping:
            continue
        for name in names:
            hits = [i for i, h in enumerate(normalized) if i not in used and
                    (h == name or (name == "grade" and h.startswith("grade")) or
                     (target == "module" and h == name))]
            if hits:
                mapping[target] = hits[0]
                used.add(hits[0])
                break
    # Pipedrive "Deal - X" headers: strip the "deal" prefix and retry what is still missing.
    for target, names in synonyms.items():
        if target in mapping:
            continue
        for i, h in enumerate(normalized):
            if i not in used and h.startswith("deal") and h[4:] in names:
                mapping[target] = i
                used.add(i)
                break
    return mapping


def check_required(kind: str, mapping: dict[str, int], headers: list[str], file_name: str) -> None:
    """Fail with the missing fields and the headers that were seen."""
    missing = [" or ".join(group) for group in REQUIRED[kind] if not any(f in mapping for f in group)]
    if missing:
        raise IngestError(
            f"{file_name}: not a {kind} export we recognize: missing {'; '.join(missing)}. "
            f"Headers seen: {', '.join(headers)}. Use --map field=Header to name them.")


def detect_crm_format(headers: list[str], delimiter: str) -> str:
    """Which tool exported a CRM file, judged by its headers."""
    normalized = {norm(h) for h in headers}
    raw = " ".join(headers)
    if any(h.strip().lower().startswith("deal - ") for h in headers):
        return "pipedrive"
    if "recordid" in normalized and ("dealstage" in normalized or "dealname" in normalized):
        return "hubspot"
    if "stagename" in normalized or "iswon" in normalized or ("ownerid" in normalized and "id" in normalized):
        return "salesforce_dataloader"
    if "opportunityowner" in normalized or ("opportunityname" in normalized and " " in raw):
        return "salesforce_report"
    if "_" in raw and " " not in raw.strip():
        return "generic"
    return "generic"


def looks_like_users_file(headers: list[str]) -> bool:
    """A Salesforce User export (Id, Name, Email) uploaded beside the opportunities."""
    normalized = {norm(h) for h in headers}
    return "id" in normalized and ({"email", "username"} & normalized) and not (
        {"stagename", "stage", "dealstage", "amount"} & normalized)
