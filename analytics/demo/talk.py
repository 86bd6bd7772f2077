"""Sentence pools of the demo company's call transcripts: small talk, discovery, demo, negotiation, the messages'
talk tracks (with and without their key phrases) and hard negatives (a competitor's claim, the prospect saying it,
the same words in another sense).

Slots filled per call: {p} prospect's first name, {r} rep's first name, {acct} account, {comp} competitor,
{prod} product, {n} a number, {wd} a weekday.
"""

from __future__ import annotations

COMPETITORS = ("Vantagely", "Clearpath Cloud", "Norrix", "Brightline Suite", "Kestrel Analytics", "Opsmatic")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
CALL_TYPES = ("Discovery", "Demo", "Negotiation")
TITLES = {"Discovery": ("Discovery call - {acct}", "{acct} <> Huddle intro", "Intro: {acct}"),
          "Demo": ("{prod} demo - {acct}", "Product walkthrough with {acct}", "{acct} | demo"),
          "Negotiation": ("Commercials - {acct}", "{acct} pricing review", "Contract discussion: {acct}")}

REP_OPEN = (
    "Hi {p}, thanks for making the time today.",
    "Good morning {p}, can you hear me all right?",
    "Hey {p}, great to see you again. How was your week?",
    "Hi {p}, thanks for joining. I know {wd}s are busy.",
    "Hello {p}, thanks for hopping on, I'll keep us to time.",
    "Hi {p}! Sorry for the two minute delay, my previous call ran over.",
    "Thanks for having me, {p}. Is the rest of the team joining?",
)
PROSPECT_OPEN = (
    "Hi {r}, yes, all good on my side.",
    "Hey, no problem. It's been a long week, but good.",
    "Yes I can hear you fine. My camera is off, bad connection today.",
    "Morning {r}. Just me for now, my colleague may join later.",
    "Hi! No worries, we have about thirty minutes.",
    "Hello {r}, thanks. Let's get going, I have a hard stop.",
)
REP_AGENDA = {
    "Discovery": (
        "I'd like to hear how your team works today, where it hurts, and then see if we're a fit.",
        "My plan was to ask a few questions first, then share how teams like yours work with us.",
        "If it's okay, I'll mostly listen today and take notes.",
    ),
    "Demo": (
        "Today I'll show you {prod} with data that looks like yours, and leave time for questions.",
        "Let me share my screen. Stop me anytime, this works best as a conversation.",
        "Based on our last call I set up the demo around your reporting workflow.",
    ),
    "Negotiation": (
        "I sent the proposal on {wd}; I'd like to walk through it and hear what's missing.",
        "Today is about the commercials and the timeline, so we can get you live next quarter.",
        "I have the updated quote here, with the changes your procurement team asked for.",
    ),
}
REP_BODY = {
    "Discovery": (
        "How does your team track this today, in spreadsheets or in a tool?",
        "Who else is involved when you make a decision like this?",
        "What would have to be true for this to be a priority this quarter?",
        "How many people on your side would use it day to day?",
        "What happens today when a report is late?",
        "What did you try before, and why didn't it stick?",
        "If you had a magic wand, what would you fix first?",
        "Roughly how much time does your team spend on this every week?",
        "Is there a deadline driving this, a board meeting or a renewal?",
        "What does success look like for you in six months?",
    ),
    "Demo": (
        "This is the home screen; everything your managers need is one click away.",
        "Here you can see how a report gets built, it takes about a minute.",
        "Let me switch to the admin view so you can see the permissions.",
        "This dashboard refreshes every fifteen minutes from your CRM.",
        "You can export any of these tables to a spreadsheet if finance wants it.",
        "Here's the mobile view, which your field team will probably use most.",
        "Notice that the filters carry across pages, people love that.",
        "This part is configurable, so your team can rename the stages to match yours.",
        "Setup usually takes about {n} days with our onboarding team.",
    ),
    "Negotiation": (
        "The proposal covers {n} seats with onboarding included.",
        "We can do a two-year term if that helps your budget cycle.",
        "If you sign before the end of the month, I can hold this price.",
        "Implementation would start the week after signature.",
        "Is the blocker the price itself, or the timing of the budget?",
        "I can ask my manager about a ramped payment schedule.",
        "Legal usually turns our paper around in about a week.",
        "We can start with one team and expand once you see results.",
    ),
}
PROSPECT_BODY = {
    "Discovery": (
        "Honestly it's mostly spreadsheets, and they break every quarter.",
        "My manager has to sign off, and probably someone from IT.",
        "We have about {n} people who would log in every day.",
        "The reports are always late and nobody trusts the numbers.",
        "We tried a tool two years ago but adoption was terrible.",
        "We spend maybe a day a week just pulling data together.",
        "There's a board meeting in the spring, that's the real deadline.",
        "Success would be one place where everyone sees the same pipeline.",
        "I'm not sure yet, I need to talk to my team first.",
        "Our biggest problem is onboarding new hires quickly.",
    ),
    "Demo": (
        "Can it connect to our CRM, or do we export files?",
        "How long does it take to set up for a team our size?",
        "Can managers only see their own team?",
        "That looks clean. What does the mobile app look like?",
        "Could we rename those fields to match our stages?",
        "How do you handle users leaving the company?",
        "Okay, that part is nice. Can you go back one screen?",
        "We'd need this in two languages, is that possible?",
        "Sorry, my screen froze for a second, can you repeat that?",
    ),
    "Negotiation": (
        "The price is higher than we budgeted, to be honest.",
        "Procurement will want a discount, they always do.",
        "We can't sign a multi-year deal this year.",
        "Legal has a few redlines on the data processing terms.",
        "Can we start smaller and add seats later?",
        "Our fiscal year ends in June, so timing matters.",
        "I need a final number I can take to my CFO.",
        "We're also talking to one other vendor, I'll be transparent.",
        "If you can do {n} percent off, I think we can move this week.",
    ),
}
REP_REPLY = (
    "Good question. Short answer: yes, and I'll send the documentation.",
    "That's really helpful context, thank you.",
    "Makes sense. A lot of teams we talk to say the same thing.",
    "Let me note that down so I don't lose it.",
    "I hear you. Let's make sure the proposal reflects that.",
    "Totally fair. We can work with that.",
    "Got it. I'll check with our product team and come back to you.",
)
REP_NEXT = (
    "For next steps, I'll send a recap today and a calendar invite for {wd}.",
    "I'll follow up by email with the slides and the pricing we discussed.",
    "Can we get your manager on the next call, maybe {wd} afternoon?",
    "I'll put together a short proposal and send it by {wd}.",
    "Let's book thirty minutes next week to go through the questions from your IT team.",
    "I'll share a trial workspace so your team can click around.",
)
PROSPECT_CLOSE = (
    "Sounds good, thanks {r}.",
    "Perfect, send it over and I'll share it internally.",
    "Okay. I'll check calendars and get back to you.",
    "Great, talk soon.",
    "Thanks, this was useful.",
    "Works for me. Have a good rest of your day.",
)
REP_BYE = (
    "Thanks {p}, talk soon.",
    "Appreciate your time, have a good one.",
    "Thanks again, bye for now.",
    "Great, I'll be in touch. Take care.",
)

# What the rep says when using a message: rephrasings of the talk track. "phrase" sentences contain one of the
# catalog's key phrases; "paraphrase" sentences say the same thing in other words (certified reps stay closer to
# the talk track, see truth.CALLS["phrase_share"]).
TALK_TRACKS = {
    "Security-First Value Prop": {
        "phrase": (
            "Before we talk features, I'd like to start with risk reduction: we are SOC 2 Type II audited every year.",
            "We built the product security-first, so data residency, audit trails and encryption come before "
            "anything else.",
            "Your data stays in the region you choose; data residency is a setting, not a project.",
            "Every change leaves an audit trail, which is usually what your auditors ask about first.",
            "I'll send you our SOC 2 report today, so your security team can review it before the next call.",
            "The way we think about it is security-first: lower your risk, then talk about value.",
        ),
        "paraphrase": (
            "We look at it from the risk side first: independent audits, your data stored in your own region, and a "
            "record of who changed what.",
            "For your security team the short version is less risk: audited controls, data kept where you need it, "
            "every change traceable.",
            "Honestly, the fastest way through your vendor review is to start with how we protect your data and "
            "lower your risk.",
            "Customers in regulated industries pick us because the security and compliance work, audits included, is "
            "already done.",
        ),
    },
    "Platform Consolidation Story": {
        "phrase": (
            "Most teams we meet run five point tools; the story here is to replace point tools with one platform.",
            "If you look at total cost of ownership, consolidation usually covers its own cost in the first year.",
            "You'd move from five contracts to one bill, and we bring the migration plan.",
            "Our migration plan moves you off the old tools team by team, so nobody loses a week.",
            "One platform means one login, one data model and one bill for finance.",
        ),
        "paraphrase": (
            "Think about how many separate tools your team pays for today; we'd replace five of them with a single "
            "system.",
            "Instead of stitching four vendors together, everything lives on the same platform, on a single invoice.",
            "Your IT team would maintain one integration instead of a dozen, and we plan the move off the old tools "
            "with you.",
            "We can retire the reporting tool and the forecasting tool you mentioned and run both on our platform.",
        ),
    },
    "ROI Calculator Talk Track": {
        "phrase": (
            "Let me walk you through the ROI calculator with your numbers, it takes five minutes.",
            "With your team size, the payback period comes out at about {n} months.",
            "The ROI calculator shows three-year savings, and finance can change every input.",
            "I'd like to build the business case together, so your CFO sees the return on investment in her own terms.",
            "If we plug in the hours you mentioned, the three-year savings are roughly {n} thousand dollars.",
        ),
        "paraphrase": (
            "Let's put your numbers into the model: hours saved per week times the number of people, over three years.",
            "At that price you'd earn the money back in a few months, and the savings keep growing after that.",
            "If each manager saves two hours a week, the subscription covers its cost well inside the first year.",
            "I'll send the savings model so your finance team can check every assumption, in months and dollars.",
        ),
    },
    "AI Copilot Positioning": {
        "phrase": (
            "Let me show you the AI copilot live, this is where teams usually lean in.",
            "We position the AI copilot as a productivity multiplier: it drafts the report, your team edits it.",
            "In a live demo of the copilot, you ask a question in plain English and it builds the chart.",
            "The copilot is a productivity multiplier for your managers, not a replacement for them.",
        ),
        "paraphrase": (
            "Watch this: I'll type a question in plain English and the AI assistant answers with the chart.",
            "Think of the AI as an extra analyst on every team that drafts the first version for your people.",
            "Your managers would spend their time on decisions instead of building slides; the AI does the busywork.",
        ),
    },
}

# Hard negatives: the message's words without the rep using the message.
PROSPECT_NEGATIVES = {
    "Security-First Value Prop": (
        "{comp} told us they are security-first too, with SOC 2 and all that. Everybody says that.",
        "Our auditors ask every vendor for a SOC 2 report, so please send yours.",
        "Data residency is a must for us, we can't have anything outside the EU.",
        "Security is my colleague's area, I'll loop her in later.",
    ),
    "Platform Consolidation Story": (
        "{comp} is pitching one platform to replace all our point tools, honestly it sounds too good.",
        "We just went through a consolidation of our offices, so people are stretched.",
        "Finance wants one bill per vendor, that's a procurement rule here.",
    ),
    "ROI Calculator Talk Track": (
        "{comp} showed us an ROI calculator with a six-month payback, we didn't believe it.",
        "My CFO wants a business case for everything above ten thousand dollars.",
        "The ROI of our last marketing campaign was terrible, so budgets are tight.",
        "Our last vendor promised it pays for itself. It never did.",
    ),
    "AI Copilot Positioning": (
        "{comp} has an AI copilot in their roadmap deck, but nothing we could try.",
        "My brother is actually a copilot for a regional airline, funny coincidence.",
        "Our engineers already use a coding copilot, so people are curious about AI.",
    ),
}
REP_NEGATIVES = {
    "Security-First Value Prop": (
        "Security at our front desk will give you a visitor badge when you come to the office.",
        "I'll bring our security engineer to the next call for the single sign-on questions.",
    ),
    "Platform Consolidation Story": (
        "Let me consolidate my notes and send you one summary after the call.",
        "I'll send one calendar invite for both of your teams.",
    ),
    "ROI Calculator Talk Track": (
        "I'll use the pricing calculator to get you a quote for the extra seats.",
        "Let me check the return policy on the hardware bundle, I'm not sure.",
        "The payback on my own solar panels took years, so I understand the skepticism.",
    ),
    "AI Copilot Positioning": (
        "Let me do a live demo of the reporting module instead of slides.",
        "Our support team answers in minutes, there's no bot in between.",
    ),
}
