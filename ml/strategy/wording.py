"""The words of ``ml.strategy.generator``: per goal its objective and angles, offers, KPIs and channel order;
per behavioural feature the channels and tone traits it favours. Data only: the rules that pick among them
live in the generator.

A persona whose texts read more negative than the other personas' (``profile["tone"]``, ``ml.profile.tone``),
or most of whose quoted members report a problem (``ml.strategy.risks.problem_evidence``), gets the angles
and offers that speak of problems (and of frustration, for the first only). One that reads less negative than the
others gets the calm ones, where a goal has them (``GOAL_TEXT``'s third entry, ``CALM_OFFERS``); one whose tone
reads like everyone's and whose quotes state no problem gets the open ones for the goals whose calm wording
presumes content people (``OPEN_TEXT``, ``OPEN_MESSAGES``, ``OPEN_OFFERS``: retention and win-back). VADER reads
many complaints neutral: the airline persona "Hold for two hours" (93 % labelled negative by the annotators,
tone "like everyone", one quote of eight with a negator) was told to "thank them for staying with it".
"""

from __future__ import annotations

# goal → (objective, angle for a persona that reads more negative than the others, angle otherwise)
GOAL_TEXT = {
    "acquisition": ("win new people like these", "show that {themes} is handled better here than elsewhere",
                    None),
    "retention": ("keep these people", "prove that {themes} problems get fixed before they turn into churn",
                  "stay close to what they come for, {themes}, and tell them first when it changes"),
    "win_back": ("bring these people back", "acknowledge what went wrong around {themes} and show what changed",
                 "remind them what {themes} gave them and show what is new"),
    "support_deflection": ("answer these people before they have to ask",
                           "make self-service the fastest way to solve {themes}", None),
    "upsell": ("offer these people more", "extend what they already care about, {themes}, with a paid upgrade",
               None),
}
# goal → (key messages for a persona that reads more negative, key messages otherwise): one per theme, in the
# themes' order ({label}: the theme's words). The calm ones speak of what they get and what is new, the
# others of what is fixed and when.
KEY_MESSAGES = {
    "acquisition": (["On “{label}”: show how it gets sorted here, in the words they use",
                     "On “{label}”: answer the usual complaint about it before they raise it",
                     "On “{label}”: show a real case handled well, and how long it took"],
                    ["On “{label}”: show what they get here, in the words they use",
                     "On “{label}”: let a real customer say what it does for them",
                     "On “{label}”: make the first step to try it one click away"]),
    "retention": (["On “{label}”: say plainly what is being fixed and by when",
                   "On “{label}”: say what they can do in the meantime",
                   "On “{label}”: follow up in the same channel once it is fixed"],
                  ["On “{label}”: share what is coming next for it",
                   "On “{label}”: thank them for staying with it and show what else there is",
                   "On “{label}”: ask what they would like more of"]),
    "win_back": (["On “{label}”: own what went wrong and say what is different now",
                  "On “{label}”: show the change working, with a real example",
                  "On “{label}”: make coming back one step, with the goodwill credit"],
                 ["On “{label}”: tell them what has changed since they last wrote about it",
                  "On “{label}”: show what people like them use it for now",
                  "On “{label}”: make coming back one step"]),
    "support_deflection": (["On “{label}”: give the fix in the first line, then the next step if it fails",
                            "On “{label}”: say how long it usually takes and what to do if it takes longer",
                            "On “{label}”: link the self-service page from the first reply"],
                           ["On “{label}”: give the answer in the first line, with a link to the details",
                            "On “{label}”: put the answer where they already ask",
                            "On “{label}”: keep the answer short and point to more"]),
    "upsell": (["On “{label}”: show how the upgrade takes the trouble out of it",
                "On “{label}”: show the difference with a real before and after",
                "On “{label}”: keep the price and what it solves in one line"],
               ["On “{label}”: show what the upgrade adds to it",
                "On “{label}”: show what people who upgraded do with it",
                "On “{label}”: keep the price and what is included in one line"]),
}
# goal → (angle, key messages, offers) for a persona that reads like everyone and quotes no problem: ask, do not
# presume either way (see the module docstring)
OPEN_TEXT = {
    "retention": "ask them about {themes}, and act on what they say",
    "win_back": "ask what was missing for them around {themes}, and show what is new",
}
OPEN_MESSAGES = {
    "retention": ["On “{label}”: ask how it works for them, and say what you will do with the answer",
                  "On “{label}”: share what is coming next for it",
                  "On “{label}”: follow up in the same channel after they write about it"],
    "win_back": ["On “{label}”: ask what would have kept them, and answer it",
                 "On “{label}”: tell them what has changed since they last wrote about it",
                 "On “{label}”: make coming back one step"],
}
OPEN_OFFERS = {
    "retention": ["Follow up on {theme} in the same channel a few days after they write, and act on the answer",
                  "Tell them first whenever something about {theme} changes, before they hear it elsewhere"],
    "win_back": ["Ask in one question what {theme} lacked for them, and answer each reply",
                 "Invite them back with a 'what is new about {theme}' note"],
}
# goal → offers; a persona that reads more negative gets these, the others CALM_OFFERS where the goal has them
OFFERS = {
    "acquisition": ["Publish a short public guide on how {theme} works here, linked from replies",
                    "Run a referral offer in the persona's busiest hours, led by {theme}"],
    "retention": ["Update them on their open {theme} cases before they have to ask",
                  "Give a named follow-up owner for open {theme} cases"],
    "win_back": ["Send a personal apology with a concrete goodwill credit tied to the {theme} issue",
                 "Invite them back with a 'what we changed about {theme}' note"],
    "support_deflection": ["Write a help-center article and a canned reply for {theme}",
                           "Add an in-product or chat-bot flow that resolves {theme} without an agent"],
    "upsell": ["Bundle a premium option that removes the {theme} pain point",
               "Offer a trial of the upgrade at the moment {theme} comes up"],
}
CALM_OFFERS = {
    "upsell": ["Bundle a premium option that does more with {theme}",
               "Offer a trial of the upgrade at the moment {theme} comes up"],
    "retention": ["Tell them first whenever something about {theme} changes, before they hear it elsewhere",
                  "Invite them to hear {theme} news first (an opt-in list or a follow-up in the same channel)"],
    "win_back": ["Send a personal 'we miss you' note with a goodwill credit tied to {theme}",
                 "Invite them back with a 'what is new about {theme}' note"],
}
KPIS = {
    "acquisition": [("conversion_rate", "share of reached people who sign up or buy"),
                    ("cost_per_acquisition", "spend per new customer from this persona")],
    "retention": [("churn_rate", "share of this persona leaving per month"),
                  ("repeat_contact_rate", "share who write again about the same issue")],
    "win_back": [("reactivation_rate", "share of lapsed members who return"),
                 ("sentiment_shift", "change in negative mentions after the campaign")],
    "support_deflection": [("self_service_resolution", "share of contacts solved without an agent"),
                           ("contact_volume", "messages per week about the persona's themes")],
    "upsell": [("upgrade_rate", "share who take the paid upgrade"),
               ("revenue_per_member", "average revenue per member of this persona")],
}
# goal → channel preference (earlier = better)
GOAL_CHANNELS = {
    "acquisition": ["social", "email", "in_app", "chat", "help_center", "sms"],
    "retention": ["email", "in_app", "chat", "social", "sms", "help_center"],
    "win_back": ["email", "sms", "social", "in_app", "chat", "help_center"],
    "support_deflection": ["help_center", "chat", "in_app", "social", "email", "sms"],
    "upsell": ["in_app", "email", "chat", "social", "sms", "help_center"],
}
FRUSTRATED = "calm and empathetic: acknowledge the frustration first"  # only with tone:negative
# most quoted members report a problem, the tone not more negative (ml.strategy.risks.problem_evidence)
ACKNOWLEDGE = "calm and direct: acknowledge the problem they report first"
# feature (higher than population) → channels it favours
FEATURE_CHANNELS = {
    "mentions_log": ["social"], "hashtags_log": ["social"], "is_reply": ["social", "chat"],
    "question_log": ["help_center", "chat"], "words_log": ["email"], "chars_log": ["email"],
    "night_share": ["chat", "in_app"], "has_url": ["social"], "followup_share": ["chat"],
    "got_response": ["social", "chat"], "emoji_log": ["social", "sms"],
}
# feature → (tone trait when higher, trait when lower)
TONE = {
    "question_log": ("direct answers first", None),
    "exclaim_log": ("expressive: reply promptly and personally", None),
    "upper_ratio": ("expressive: reply promptly and personally", None),
    "repeated_punct": ("expressive: reply promptly and personally", None),
    "politeness": ("warm and appreciative", "efficient and to the point"),
    "words_log": ("detailed, step-by-step", "short and scannable"),
    "chars_log": ("detailed, step-by-step", "short and scannable"),
    "emoji_log": ("light and informal (emoji welcome)", None),
    "first_person_ratio": ("personal: speak to their own situation", None),
    "digit_ratio": ("precise: quote the numbers they care about", None),
}

# event personas (``ml.strategy.events``): light users are re-engaged; KPIs measure activity, not contacts
REENGAGE = ["On “{label}”: remind them where they left off and make the next step one click away",
            "On “{label}”: show what users who kept going did next",
            "On “{label}”: ask in one question what stopped them"]
LIGHT_ANGLE = {
    "retention": "reach them while they still come, around {themes}, before they drift away",
    "win_back": "make coming back one step, starting from {themes}",
}
EVENT_KPIS = {
    "acquisition": [("activation_rate", "share of new users who take up this persona's pattern within two weeks"),
                    ("cost_per_acquisition", "spend per new user like these")],
    "retention": [("active_next_period", "share of these users with any event in the next 7-day period"),
                  ("events_per_user", "events per user per week, against everyone's")],
    "win_back": [("reactivation_rate", "share of lapsed users with any event within 30 days of the message"),
                 ("events_after_return", "events per returning user in their first week back")],
    "support_deflection": [("self_service_completion", "share who finish the step without contacting support"),
                           ("support_contacts", "support contacts per 100 users of this persona")],
    "upsell": [("upgrade_rate", "share who take the paid upgrade"),
               ("revenue_per_user", "average revenue per user of this persona")],
}
# event personas that are not light (``ml.strategy.events``): their themes are events they do more of than
# everyone, so messages and offers speak of next steps and progress, not of news, thanks or open cases
EVENT_MESSAGES = {
    "acquisition": ["On “{label}”: show new users how people like these use it, in its own words",
                    "On “{label}”: make it the first step of onboarding",
                    "On “{label}”: show what users who do it reach after a month"],
    "retention": ["On “{label}”: make the next step after it easy to find",
                  "On “{label}”: show them their progress on it",
                  "On “{label}”: ask what would help them do more of it"],
    "win_back": ["On “{label}”: remind them where they left off",
                 "On “{label}”: show what is new since their last visit",
                 "On “{label}”: make coming back one step"],
    "support_deflection": ["On “{label}”: put the help where it happens, in the product",
                           "On “{label}”: answer the usual question about it before they ask",
                           "On “{label}”: keep the help short and point to more"],
    "upsell": ["On “{label}”: show what the upgrade adds to it",
               "On “{label}”: show what users who upgraded do with it",
               "On “{label}”: keep the price and what is included in one line"],
}
EVENT_OFFERS = {
    "acquisition": ["Lead onboarding with {theme}, the pattern these users share",
                    "Invite new users whose first events look like {theme} onto the same path"],
    "retention": ["Nudge them towards the next step after {theme} the next time they are active",
                  "Show their progress on {theme} beside people like them"],
    "win_back": ["Send a 'pick up where you left off' note that opens on {theme}",
                 "Show what is new around {theme} since their last visit"],
    "support_deflection": ["Put help for {theme} where it happens (an in-product tip or FAQ)",
                           "Offer help when {theme} repeats without progress"],
    "upsell": ["Offer the paid tier at the moment {theme} comes up",
               "Bundle more of {theme} in an upgrade"],
}
# channels an event run's users are reached on (no public replies or chat threads to answer)
EVENT_CHANNELS = ("email", "in_app", "sms", "help_center")
