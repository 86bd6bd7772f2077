"""CRM opportunities: outcome from booleans, status or stage label; money; a derived key when there is no id."""

from __future__ import annotations

import re

from .. import convert as cv
from ..errors import IngestError
from ..formats import norm
from ..staging import Context
from .base import Fact, Kind

WON_STAGE = re.compile(r"^(closed)?won$|^closedwon|^won|gewonnen|gagne|ganado|ganada|vinto|ganho|gewonnen|^signed$|"
                       r"^contractsigned$|^booked$")
LOST_STAGE = re.compile(r"^(closed)?lost$|^closedlost|^lost|verloren|perdu|perdido|perdida|perso|^disqualified$|"
                        r"^dead$|^cancelled$|^canceled$")


def default_outcome(stage: str) -> str:
    """won / lost / open for a stage label (Closed Won, closedwon, Gewonnen, ...)."""
    key = norm(stage)
    if WON_STAGE.search(key):
        return "won"
    if LOST_STAGE.search(key):
        return "lost"
    return "open"


class Crm(Kind):
    name = "crm"
    label = "CRM opportunities"
    noun = "a CRM opportunities export"
    synonyms = {
        "opportunity_id": ("opportunityid", "id"),
        "opportunity_name": ("opportunityname", "name", "dealname", "dealtitle", "title", "opportunity"),
        "account_name": ("accountname", "account", "company", "companyname", "organization", "organisation",
                         "customer"),
        "owner_name": ("opportunityowner", "dealowner", "owner", "ownername", "salesagent", "salesrep", "rep",
                       "assignedto"),
        "owner_email": ("owneremail", "opportunityowneremail", "dealowneremail", "salesagentemail", "repemail"),
        "owner_id": ("ownerid", "opportunityownerid", "dealownerid"),
        "stage": ("stage", "dealstage", "opportunitystage", "pipelinestage", "dealstage2", "phase"),
        "status": ("status",),
        "is_won": ("won",),
        "is_closed": ("closed",),
        "amount_currency": ("amountcurrency", "currency", "opportunitycurrency"),
        "amount": ("amount", "value", "closevalue", "dealamount", "revenue"),
        "close_date": ("closedate", "dealclosedate", "closeddate", "closedon", "expectedclosedate"),
        "won_time": (),
        "lost_time": (),
        "created_date": ("createddate", "createdate", "dealcreatedate", "engagedate", "createdon",
                         "opportunitycreateddate"),
        "segment": ("segment", "customersegment", "marketsegment", "dealsegment", "accountsegment"),
        "deal_type": ("type", "dealtype", "opportunitytype"),
        "lead_source": ("leadsource", "source", "dealsource"),
        "product": ("product", "productname", "series"),
        "message_tag": ("message", "messaging", "talktrack", "primarycampaignsource", "campaign", "campaignname"),
    }
    # what each field's values look like, for inference (see analytics/ingest/infer.py value_score)
    value_types = {
        "opportunity_id": "id", "opportunity_name": "text", "account_name": "text", "owner_name": "person",
        "owner_email": "email", "owner_id": "crm_id", "stage": "stage", "status": "status", "is_won": "bool",
        "is_closed": "bool", "amount_currency": "currency", "amount": "money", "close_date": "date",
        "won_time": "date", "lost_time": "date", "created_date": "date", "segment": "category",
        "deal_type": "category", "lead_source": "category", "product": "category", "message_tag": "message",
    }
    # header labels beyond the spellings: other tools' English phrasings, then German, French, Spanish
    labels = {
        "opportunity_id": ("Opportunity-ID", "ID de l'opportunité", "ID de oportunidad", "Datensatz-ID",
            "ID de fiche d'informations", "ID de registro", "Deal - ID", "Lead ID", "Opportunity No"),
        "opportunity_name": ("Opportunity-Name", "Opportunityname", "Nom de l'opportunité",
            "Nombre de la oportunidad", "Deal-Name", "Nom de la transaction", "Nombre del negocio", "Deal - Title",
            "Opportunity Title", "Lead Title"),
        "account_name": ("Accountname", "Account-Name", "Nom du compte", "Nombre de la cuenta", "Firmenname",
            "Nom de l'entreprise", "Nombre de la empresa", "Deal - Organization", "Organization Name",
            "Company Name", "Customer Name", "Lead Name"),
        "owner_name": ("Opportunity-Inhaber", "Opportunityinhaber", "Inhaber", "Propriétaire de l'opportunité",
            "Propriétaire", "Propietario de la oportunidad", "Propietario", "Deal-Inhaber",
            "Propriétaire de la transaction", "Propietario del negocio", "Deal - Owner", "Salesperson",
            "Sales Owner", "Assigned To", "User", "Account Owner", "Responsible"),
        "owner_email": ("Owner Email", "E-Mail des Inhabers", "Email du propriétaire", "Correo del propietario"),
        "owner_id": ("Owner ID", "Inhaber-ID", "ID du propriétaire", "ID del propietario"),
        "stage": ("Phase", "Deal-Phase", "Verkaufsphase", "Étape", "Étape de la transaction",
            "Phase de la transaction", "Etapa", "Etapa del negocio", "Deal - Stage", "Sales Stage",
            "Pipeline Stage", "Sales Stage Name"),
        "status": ("Deal - Status", "Status Type", "Opportunity State", "State", "Statut", "Estado"),
        "is_won": ("Gewonnen", "Gagné", "Ganado"),
        "is_closed": ("Geschlossen", "Fermé", "Cerrado"),
        "amount_currency": ("Betrag Währung", "Währung", "Devise", "Moneda", "Deal - Currency",
            "Opportunity Currency", "Currency Code"),
        "amount": ("Betrag", "Montant", "Importe", "Cantidad", "Deal - Value", "Expected Revenue", "Value",
            "Opportunity Amount", "Opportunity Value", "Deal Size", "Monetary Value", "Bid Amount"),
        "close_date": ("Schlusstermin", "Abschlussdatum", "Date de clôture", "Date de fermeture",
            "Fecha de cierre", "Actual Close Date", "Close Date", "Closed At", "Closing Date", "Date Closed",
            "Expected Closing", "Expected Close Date", "Forecast Close Date"),
        "won_time": ("Deal - Won time", "Won Date", "Date won"),
        "lost_time": ("Deal - Lost time", "Lost Date", "Date lost"),
        "created_date": ("Erstelldatum", "Erstellt am", "Date de création", "Fecha de creación",
            "Deal - Deal created", "Created At", "Date Created", "Creation Date", "Created"),
        "segment": ("Marktsegment", "Segment de marché", "Segmento"),
        "deal_type": ("Typ", "Deal-Typ", "Opportunity-Typ", "Type de transaction", "Tipo", "Tipo de negocio"),
        "lead_source": ("Lead-Quelle", "Quelle", "Origine de la piste", "Origine", "Origen del candidato",
            "Origen", "Source of Lead"),
        "product": ("Produkt", "Produit", "Producto"),
        "message_tag": ("Kampagne", "Campagne", "Campaña", "Primary Campaign"),
    }
    required = (("owner_name", "owner_email", "owner_id"), ("stage", "status", "is_won"),
                ("close_date", "won_time", "lost_time"))
    date_fields = ("close_date", "created_date", "won_time", "lost_time")
    versions = "opportunity_versions"
    key = "opportunity_id"
    columns = ("opportunity_name", "account_name", "owner_name", "owner_email", "owner_crm_id", "stage", "outcome",
               "amount", "currency", "created_date", "close_date", "segment", "deal_type", "lead_source", "product",
               "message_tag")
    fact = Fact("opportunities", "owner_email", "owner_name", "owner_crm_id", "message_tag", "close_date")
    load_order = 2
    stale_after_days = 7

    def stage(self, ctx: Context) -> str:
        """Opportunities: outcome from booleans, status or stage label; money; derived keys when no id."""
        s = ctx.select
        owner_text = ctx.text("owner_name")
        s["owner_name"] = f"CASE WHEN NOT contains(coalesce({owner_text}, '@'), '@') THEN {owner_text} END"
        s["owner_email"] = f"coalesce({ctx.text('owner_email')}, CASE WHEN contains({owner_text}, '@') " \
                           f"THEN {owner_text} END)"
        s["owner_crm_id"] = ctx.text("owner_id")
        s["opportunity_name"] = ctx.text("opportunity_name")
        s["account_name"] = ctx.text("account_name")
        s["stage"] = ctx.text("stage") if ctx.col("stage") else ctx.text("status")
        s["segment"] = ctx.text("segment")
        s["deal_type"] = ctx.text("deal_type")
        s["lead_source"] = ctx.text("lead_source")
        s["product"] = ctx.text("product")
        s["message_tag"] = ctx.text("message_tag")
        s["amount"] = ctx.number("amount", money=True)
        _warn_negative_amounts(ctx)
        cur_col = ctx.text("amount_currency")
        # per distinct amount (exports repeat them), beside the amount's own value
        from_amount = ctx.per_value(ctx.col("amount"), cv.currency_sql(ctx.col("amount"))) if ctx.col("amount") \
            else "NULL"
        s["currency"] = f"coalesce(upper({cur_col}), {from_amount})"
        day_first = ctx.locale_day_first
        created = ctx.date("created_date", day_first=day_first)
        close = ctx.date("close_date", day_first=day_first)
        won_t = ctx.date("won_time", day_first=day_first)
        lost_t = ctx.date("lost_time", day_first=day_first)
        s["created_date"] = created
        s["close_date"] = f"coalesce({close}, {won_t}, {lost_t})"

        if ctx.col("is_won"):
            won = cv.bool_sql(ctx.col("is_won"))
            closed = cv.bool_sql(ctx.col("is_closed")) if ctx.col("is_closed") else None
            ctx.reject_if(f"({ctx.text('is_won')} IS NOT NULL AND {won} IS NULL)",
                          f"format('{{}}: ''{{}}'' is not true/false', {ctx.bind(ctx.header('is_won'))}, "
                          f"{ctx.text('is_won')})")
            stage_outcome = _stage_outcomes(ctx)
            lost = f"coalesce({closed}, {stage_outcome} = 'lost')" if closed else f"({stage_outcome} = 'lost')"
            s["outcome"] = f"CASE WHEN {won} THEN 'won' WHEN {lost} THEN 'lost' ELSE 'open' END"
            ctx.info["outcome_from"] = ctx.header("is_won") + (" / " + ctx.header("is_closed") if closed else "")
        elif ctx.col("status") and (not ctx.col("stage") or _status_is_outcome(ctx)):
            st = f"lower({ctx.text('status')})"
            s["outcome"] = f"CASE WHEN {st} = 'won' THEN 'won' WHEN {st} IN ('lost', 'abandoned') THEN 'lost' " \
                           f"WHEN {st} IN ('open', 'deleted', 'active', 'suspended') THEN 'open' END"
            ctx.reject_if(f"({st} IS NOT NULL AND ({s['outcome']}) IS NULL)",
                          f"format('{{}}: ''{{}}'' is not open/won/lost', {ctx.bind(ctx.header('status'))}, "
                          f"{ctx.text('status')})")
            ctx.info["outcome_from"] = ctx.header("status")
        else:
            s["outcome"] = _stage_outcomes(ctx)
            ctx.info["outcome_from"] = ctx.header("stage")
        ctx.required(s["outcome"], "outcome (stage)")
        ctx.required(f"coalesce({s['owner_name']}, {s['owner_email']}, {s['owner_crm_id']})", "owner")
        ctx.reject_if(f"(({s['outcome']}) IN ('won', 'lost') AND ({s['close_date']}) IS NULL "
                      f"AND coalesce({ctx.text('close_date')}, {ctx.text('won_time')}, "
                      f"{ctx.text('lost_time')}) IS NULL)",
                      ctx.bind("closed deal without a close date"))

        if ctx.col("opportunity_id"):
            return f"{ctx.bind(ctx.source_format + ':')} || {ctx.text('opportunity_id')}"
        parts = [p for p in ("account_name", "opportunity_name", "created_date") if ctx.col(p)]
        if not parts:
            raise IngestError("the export has neither an opportunity id column nor Opportunity Name / Account Name "
                              "to identify deals; add the Opportunity ID column to the report")
        ctx.warnings.append("the export has no opportunity id column: each deal is identified by "
                            + " + ".join(ctx.header(p) for p in parts)
                            + " (add Opportunity ID to the report for exact matching across exports)")
        ctx.info["derived_key"] = [ctx.header(p) for p in parts]
        keyparts = []
        for p in parts:
            keyparts.append(f"coalesce(({s['created_date']})::VARCHAR, '')" if p == "created_date"
                            else f"coalesce(lower({ctx.text(p)}), '')")
        return "'derived:' || md5(concat_ws('|', " + ", ".join(keyparts) + "))"


STATUS_WORDS = ("open", "won", "lost", "deleted", "active", "suspended", "abandoned")


def _status_is_outcome(ctx: Context) -> bool:
    """A status column of open/won/lost words beside a stage column: the outcome is the status (Pipedrive keeps
    a won deal's last pipeline stage, Copper and Insightly a separate state)."""
    other = ctx.con.execute(f"SELECT count(*) FROM raw_rows WHERE lower({ctx.text('status')}) NOT IN "
                            f"(SELECT unnest($words))", {"words": list(STATUS_WORDS)}).fetchone()[0]
    return other == 0


def _warn_negative_amounts(ctx: Context) -> None:
    """Negative amounts (credit notes, `(250.00)`) are loaded as they are, and said."""
    c = ctx.col("amount")
    if not c:
        return
    comma = "decimal_comma" in ctx.info and ctx.header("amount") in ctx.info["decimal_comma"]
    n, line = ctx.con.execute(
        f"SELECT count(*), min(line_number) FROM raw_rows WHERE (contains({c}, '-') OR contains({c}, '(')) "
        f"AND ({cv.number_sql(c, comma, money=True)}) < 0").fetchone()
    if n:
        ctx.warnings.append(f"{ctx.header('amount')}: {n} deal(s) have a negative amount (first on line {line}); "
                            "they were loaded as negative (credit notes?); fix the export if they are not")


def _stage_outcomes(ctx: Context) -> str:
    """Map each distinct stage label to won/lost/open (defaults + user overrides), shown in the result."""
    c = ctx.col("stage")
    if not c:
        return "NULL::VARCHAR"
    stages = [r[0] for r in ctx.con.execute(
        f"SELECT DISTINCT {cv.v(c)} FROM (SELECT DISTINCT {c} FROM raw_rows) WHERE {cv.v(c)} IS NOT NULL "
        "ORDER BY 1").fetchall()]
    overrides = {norm(k): val for k, val in ctx.stage_overrides.items()}
    mapping = {}
    for st in stages:
        outcome = overrides.get(norm(st), default_outcome(st))
        if outcome not in ("won", "lost", "open"):
            raise IngestError(f"--stage {st}={outcome}: the outcome must be won, lost or open")
        mapping[st] = outcome
    ctx.info["stage_map"] = mapping
    ctx.con.execute("CREATE OR REPLACE TEMP TABLE stage_map (stage VARCHAR, outcome VARCHAR)")
    if mapping:
        ctx.con.executemany("INSERT INTO stage_map VALUES (?, ?)", list(mapping.items()))
    if "LEFT JOIN stage_map" not in " ".join(ctx.joins):
        ctx.joins.append(f"LEFT JOIN stage_map sm ON sm.stage = {ctx.v('r.' + c)}")
        ctx.inner["_stage_outcome"] = "sm.outcome"
    return "_stage_outcome"
