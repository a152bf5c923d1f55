#!/usr/bin/env python3
"""Generate the ragvsft demo corpus: a fictional company knowledge base plus QA pairs.

Everything here is synthetic and invented for the ragvsft project.  The organisation,
"Kestrelmoor Instruments Ltd.", its people, products, codes, numbers and rooms do not
exist; they were made up so that no pretrained language model can know the answers.

Run from the repository root:

    python corpora/demo/generate.py

It deletes and rewrites ``corpora/demo/docs/`` and rewrites ``corpora/demo/qa.jsonl``.
Output is deterministic (fixed seed, fixed ordering, UTF-8, ``\\n`` line endings).
Standard library only.

Layout of this file: data tables first (documents with the facts they state, then
facts that need two documents), then small functions that render, check and split.
"""

from __future__ import annotations

import html
import json
import random
import re
import shutil
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

# Seed for the seen/unseen assignment and for picking which paraphrase is held out.
SEED = 20240611
# Fraction of facts that never appear in training (the "unseen" group).
UNSEEN_EVERY = 3  # every 3rd fact of the stratified ordering -> about one third
# Document length bounds (words in the text a loader sees), per the corpus brief.
MIN_WORDS, MAX_WORDS = 250, 900

# ---------------------------------------------------------------------------
# Documents.
#
# Each document: id (path relative to docs/), title, body, facts.
#   * body for .md and .html is light markdown: "## " headings, "- " bullets,
#     "1. " numbered steps, "|" tables, blank-line separated paragraphs.  .html files
#     are converted to real HTML; .md files are written as they are.
#   * body for .txt is plain text and is written as it is.
#   * facts: (type, answer, evidence, [question paraphrases])
#       type      one of numeric / date / name / procedure
#       answer    short checkable answer; must occur verbatim in the document
#       evidence  the sentence (or table row) in the body that states the fact
# ---------------------------------------------------------------------------

POLICY_DOCS = [
    {
        "id": "policies/annual-leave.md",
        "title": "Annual Leave Policy",
        "body": """\
Policy code HR-04 · Owner: People Team · Applies to all employees of Kestrelmoor Instruments Ltd.

## Purpose

Time away from work matters. This policy explains how much paid holiday you receive, how to book it and what happens to days you do not use. It applies to everyone on a Kestrelmoor employment contract, at the Dunmarrow head office, at the Lisker Road Service Centre and in the field. Contractors and agency staff should follow the terms agreed with their agency.

## Entitlement

Full-time employees receive 27 days of paid annual leave per leave year, in addition to public holidays. Part-time colleagues receive a pro-rata share, which the People Team calculates from the contracted hours shown in Dunlin, our HR portal. The leave year runs from 1 April to 31 March.

Length of service is recognised. After five years of continuous service your allowance increases by one day. After ten years of continuous service your allowance rises to 30 days, which is the maximum under this policy.

## Booking leave

All leave is requested and approved in Dunlin. Your line manager approves the request; if they are absent, the request passes automatically to their own manager after three working days.

- Requests for more than three consecutive working days must be submitted at least 10 working days before the first day of absence.
- Shorter requests should be made as early as you reasonably can.
- Managers try to approve or decline within two working days.

Please check your team calendar before asking. Most teams try to keep at least half of their members available at any time, but that is a local arrangement and not a rule of this policy.

## Restricted periods

Some operational periods cannot easily absorb absence. Lisker Road Service Centre staff may not book leave during the annual stocktake, which takes place in the last full week of September. Field engineers supporting customer shutdowns may be asked to avoid particular weeks; their supervisor will publish these dates at the start of each leave year.

## Carrying leave over

We would rather you used your leave within the year. However, you may carry over up to 5 days of unused leave into the next leave year. Carried-over days must be taken by 30 June; anything still unused after that date is lost unless the People Team has agreed an exception, for example after long-term sick leave or parental leave.

## Leaving the company

When you leave, any accrued but untaken leave is paid with your final salary. If you have taken more leave than you accrued, the difference is deducted. Your line manager and the People Team will confirm the figures with you during offboarding.

## Questions

Questions about this policy go to the People Team through Dunlin or in person on the first floor of Building A.
""",
        "facts": [
            ("numeric", "27 days", "Full-time employees receive 27 days of paid annual leave per leave year, in addition to public holidays.", [
                "How many days of paid annual leave does a full-time Kestrelmoor employee get each year, not counting public holidays?",
                "What is the standard yearly holiday allowance for someone working full time?",
                "Excluding bank holidays, how much paid leave is a full-timer entitled to per leave year?",
            ]),
            ("numeric", "10 working days", "Requests for more than three consecutive working days must be submitted at least 10 working days before the first day of absence.", [
                "How much notice is needed for a leave request longer than three consecutive working days?",
                "If I want a week off, how far in advance must I submit the request in Dunlin?",
                "What is the minimum lead time for booking more than three days of holiday in a row?",
            ]),
            ("date", "last full week of September", "Lisker Road Service Centre staff may not book leave during the annual stocktake, which takes place in the last full week of September.", [
                "When is the annual stocktake at the Lisker Road Service Centre, during which its staff cannot take holiday?",
                "Which week of the year are Lisker Road staff barred from booking leave?",
                "At what time of year does the service centre stocktake happen?",
            ]),
            ("date", "30 June", "Carried-over days must be taken by 30 June;", [
                "By what date must carried-over leave days be used?",
                "When do rolled-over holiday days expire if they are not taken?",
                "What is the deadline for taking leave brought forward from the previous leave year?",
            ]),
        ],
    },
    {
        "id": "policies/family-and-special-leave.md",
        "title": "Family and Special Leave Policy",
        "body": """\
Policy code HR-05 · Owner: People Team

## Why this policy exists

Life does not stop for work. This policy sets out the paid leave Kestrelmoor offers around the arrival of a child, bereavement and a small number of other life events. The amounts below are enhanced company payments; they are paid in place of, not on top of, any statutory payments you are due. Eligibility starts on your first day of employment unless a section says otherwise.

## Maternity and adoption leave

The primary carer of a new child, whether through birth or adoption, receives 18 weeks at full pay, followed by the statutory minimum for the remainder of the leave period. You should tell your line manager and the People Team at least 15 weeks before the expected week of birth or placement, so that cover can be planned.

During leave you may work up to ten "keeping in touch" days by agreement. These are paid at your normal daily rate and do not end your leave.

## Partner leave

A partner of someone giving birth or adopting receives 4 weeks of partner leave at full pay. It can be taken as a single block or as two blocks of two weeks within the first six months after the birth or placement. Please request partner leave in Dunlin as soon as the expected date is known.

## Bereavement leave

We give 5 days of paid bereavement leave on the death of a close family member, meaning a partner, child, parent, sibling or grandparent. For other relatives or close friends, line managers may grant up to two days of paid leave. If you need more time, speak to your manager; unpaid leave or annual leave can usually be arranged at short notice.

## Other special leave

- Moving house: one day of paid leave per leave year.
- Volunteering: every employee may take 2 volunteering days per leave year for registered charities or community groups.
- Jury service: you keep your full salary and should claim the court's loss-of-earnings allowance, which is then deducted.
- Medical appointments: try to book them outside core hours; if that is not possible, agree the time with your manager.

## Recording special leave

All special leave is recorded in Dunlin under the correct absence type so that payroll can apply the right rate. If you are unsure which type to use, ask the People Team rather than using annual leave by mistake.

## Confidentiality

Requests under this policy often involve personal circumstances. Managers must keep the reasons for special leave confidential and share them only with the People Team where this is needed to administer pay.
""",
        "facts": [
            ("numeric", "18 weeks", "The primary carer of a new child, whether through birth or adoption, receives 18 weeks at full pay,", [
                "How many weeks of full pay does the primary carer get for maternity or adoption leave?",
                "For how long is maternity leave paid at the full salary rate?",
                "What is the enhanced full-pay period for someone adopting a child as the main carer?",
            ]),
            ("numeric", "5 days", "We give 5 days of paid bereavement leave on the death of a close family member,", [
                "How many days of paid bereavement leave are given when a close relative dies?",
                "What is the bereavement allowance for the death of a parent or sibling?",
                "If my grandmother passes away, how much paid compassionate leave am I entitled to?",
            ]),
            ("numeric", "2 volunteering days", "every employee may take 2 volunteering days per leave year", [
                "How many days per year can staff spend volunteering for a charity on paid time?",
                "What is the yearly paid allowance for volunteering with community groups?",
                "Can I take time off to help a registered charity, and if so how much each leave year?",
            ]),
        ],
    },
    {
        "id": "policies/sick-leave.txt",
        "title": "Sickness Absence Policy",
        "body": """\
Policy code HR-07. Owner: People Team. Applies to all employees.

1. WHY WE HAVE THIS POLICY

Everyone is ill from time to time. This policy makes sure that sick colleagues are paid fairly, that teams know who is available, and that people with longer or repeated illness get support early. It is not a disciplinary policy.

2. TELLING US YOU ARE ILL

If you cannot work because of illness, phone your line manager before 09:30 on the first day of absence. A text or chat message is not enough on the first day, because your manager may need to rearrange customer visits or cover an on-call shift. If you cannot reach your manager, call the People Team on extension 4100.

Keep your manager updated at least every two working days unless you have agreed a different arrangement.

3. EVIDENCE

You may self-certify for absences of up to 4 calendar days. From the fifth calendar day a medical certificate from a doctor is required. Upload the certificate to Dunlin, or hand the original to the People Team on the first floor of Building A.

4. COMPANY SICK PAY

Company sick pay is paid in addition to any statutory sick pay and is calculated on a rolling twelve-month basis.

- Full pay for the first 10 weeks of absence in any rolling twelve months.
- Half pay for the following 8 weeks.
- Statutory sick pay only after that.

Employees in their probationary period receive full pay for up to two weeks in total.

5. RETURNING TO WORK

After every absence your manager will hold a short return-to-work conversation, ideally on your first day back. It is a chance to check you are fit to work and whether any adjustments would help.

6. SUPPORT AND OCCUPATIONAL HEALTH

Our occupational health provider is Meadowgate Occupational Health. A referral is made automatically after three separate absences within six months, or after any single absence longer than four weeks. The referral is confidential and its purpose is to help, for example by recommending a phased return or changes to duties.

7. FIELD AND ON-CALL STAFF

Field engineers who fall ill while on a customer site should stop work, tell the customer contact and call the Field Service Supervisor. On-call engineers who become ill during their rota week must contact the on-call coordinator so that the rota can be changed.

8. ABUSE OF THE POLICY

Deliberately false reporting of sickness is treated as misconduct. We do not expect this to arise often and managers are asked not to assume it.
""",
        "facts": [
            ("date", "before 09:30", "phone your line manager before 09:30 on the first day of absence.", [
                "By what time must I phone my manager on the first morning I am off sick?",
                "What is the deadline for reporting a sickness absence on its first day?",
                "If I wake up ill, until what time do I have to call my line manager?",
            ]),
            ("numeric", "4 calendar days", "You may self-certify for absences of up to 4 calendar days.", [
                "For how long can I be off sick without a doctor's certificate?",
                "What is the maximum sickness absence an employee may self-certify?",
                "Up to how many days of illness are covered by self-certification?",
            ]),
            ("name", "Meadowgate Occupational Health", "Our occupational health provider is Meadowgate Occupational Health.", [
                "Which company provides occupational health services to Kestrelmoor?",
                "Who is the occupational health provider that staff get referred to?",
                "After repeated absences, to which outside provider would I be referred?",
            ]),
        ],
    },
    {
        "id": "policies/travel.md",
        "title": "Business Travel Policy",
        "body": """\
Policy code FIN-02 · Owner: Finance · Travel desk lead: Benedikt Arrowsmith

## Scope

This policy covers travel on Kestrelmoor business outside your normal place of work: customer visits, supplier audits, trade fairs, training and travel between our own sites. Daily commuting is not business travel. The related Expenses Policy explains how to claim costs once you are back.

## Booking

All trains, flights, hotels and hire cars are booked through Tern, our travel booking tool. Bookings should be made at least 14 days before departure; late bookings are allowed, but they usually cost more and your approver will see the booking flagged as late. If Tern cannot handle an unusual itinerary, contact the travel desk on extension 4417, which is staffed from 08:00 to 17:00 on working days.

## Approval

Every trip must be approved before it is booked. Approval is given by the budget holder of the team that pays for the trip, not by the traveller's line manager, because the budget holder can see whether money is available. Current budget holders are:

| Team | Budget holder who approves travel |
|---|---|
| Thermal Systems | Sunniva Crane-Adeyemi |
| Bioprocess | Florian Achterberg-Moss |
| Separation | Yusra Penhaligon |
| Fluidics | Tadhg Wilmore-Osei |
| Field Service | Gideon Marchbank |
| Corporate functions (Finance, People, IT, Legal, Facilities) | Dariusz Pellowe |

If a budget holder is away for more than three days, approval passes to the Financial Controller.

## Choosing how to travel

- Rail is the default for journeys under 4 hours door to door, in standard class.
- Flights are booked in economy. Premium economy is allowed when the scheduled flight time is over 7 hours.
- Hire cars are booked in the compact category unless you are carrying equipment or more than two colleagues.
- Taxis are fine late at night, when carrying heavy equipment or when no public transport is practical.

Think about whether the trip is necessary at all. A video call with a customer is often just as effective, and it is kinder to both your budget and your calendar.

## Insurance and safety

Kestrelmoor's business travel insurance covers all approved trips. The policy card is available in Tern under "My documents". Before travelling abroad, check the destination advice in Tern and make sure your manager knows your itinerary. If something goes wrong while travelling, the travel desk can rebook during office hours; outside those hours use the 24-hour assistance number printed on the insurance card.

## Combining business and leisure

You may extend a business trip for personal reasons as long as the extra nights and any change in fare are paid by you and the extension is booked as leave in Dunlin.
""",
        "facts": [
            ("numeric", "14 days", "Bookings should be made at least 14 days before departure;", [
                "How far ahead of departure should business trips be booked in Tern?",
                "What is the recommended minimum booking lead time for company travel?",
                "When booking a work trip, how many days before leaving should it be reserved to avoid being flagged as late?",
            ]),
            ("name", "extension 4417", "contact the travel desk on extension 4417,", [
                "What phone extension reaches the travel desk?",
                "If Tern can't book my complicated itinerary, which extension should I call?",
                "How do I phone the people who handle unusual travel bookings?",
            ]),
            ("name", "Dariusz Pellowe", "| Corporate functions (Finance, People, IT, Legal, Facilities) | Dariusz Pellowe |", [
                "Who approves business travel for corporate functions such as Finance, IT or Legal?",
                "Whose approval does someone in the People team need before booking a trip?",
                "Which budget holder signs off travel for Facilities staff?",
            ]),
            ("numeric", "over 7 hours", "Premium economy is allowed when the scheduled flight time is over 7 hours.", [
                "When is premium economy permitted on a business flight?",
                "How long must a scheduled flight be before I can book premium economy?",
                "What flight duration allows an upgrade from economy to premium economy?",
            ]),
        ],
    },
    {
        "id": "policies/expenses.md",
        "title": "Expenses Policy",
        "body": """\
Policy code FIN-03 · Owner: Finance · Financial Controller: Dariusz Pellowe

## Principles

Kestrelmoor reimburses reasonable costs that you incur while working for the company. "Reasonable" means what a careful person would spend if it were their own money and they still needed to do the job well. Costs that are booked through Tern, such as trains and hotels, are paid centrally and must not be claimed again.

## Submitting a claim

Claims are submitted in Linnet, the expenses tool, and must be submitted within 45 days of the date the cost was incurred. Claims older than that are only paid with the Financial Controller's written agreement. Your line manager approves each claim; claims above €2,000 in total also need the Financial Controller's approval.

Attach an itemised receipt for any single item over €15. A card statement is not a receipt. If a receipt is lost, complete the missing-receipt declaration in Linnet; repeated use of the declaration will be queried.

## Meals

When you are away from your normal workplace for more than ten hours on a working day, you may claim a daily meal allowance of €38 without receipts. If you claim the allowance you cannot also claim individual meals for that day. Customer entertainment is handled separately under the Gifts and Hospitality Policy.

Alcohol is never reimbursed, including when it is part of a meal with colleagues.

## Hotels

Hotels should normally be booked through Tern, which applies these nightly caps, including breakfast:

- Standard locations: €145 per night.
- High-cost locations: €190 per night. The current list of high-cost locations is national capital cities, Varnholm (where our training centre is), and any city hosting a major trade fair during the stay.

If no room is available under the cap, the travel desk can authorise a higher rate before you book.

## Private car use

If you use your own car for business, you can claim mileage at €0.31 per km. Commuting distance between home and your normal workplace must be deducted. Your car insurance must cover business use; the company does not pay for insurance upgrades.

## Other costs

Parking, tolls, public transport tickets and reasonable tips are reimbursed with receipts. Fines for speeding or parking offences are never reimbursed. Laundry is allowed only on trips longer than five nights.

## Checks

Finance samples around one claim in twenty each month. Please keep original paper receipts for three months after the claim is paid in case they are requested.
""",
        "facts": [
            ("numeric", "45 days", "must be submitted within 45 days of the date the cost was incurred.", [
                "Within how many days of spending the money must an expense claim be submitted in Linnet?",
                "What is the time limit for filing an expenses claim?",
                "How long after a business cost do I have to claim it back?",
            ]),
            ("numeric", "€38", "you may claim a daily meal allowance of €38 without receipts.", [
                "How much is the daily meal allowance when away from the workplace for more than ten hours?",
                "What flat sum per day can I claim for food on a long working day away from the office?",
                "What is the receipt-free daily meal rate in the expenses policy?",
            ]),
            ("numeric", "€145 per night", "Standard locations: €145 per night.", [
                "What is the nightly hotel cap in standard locations?",
                "How much may a hotel room cost per night, breakfast included, outside high-cost cities?",
                "For an ordinary destination, what's the maximum hotel rate I can book?",
            ]),
        ],
    },
]

POLICY_DOCS += [
    {
        "id": "policies/it-acceptable-use.md",
        "title": "IT Acceptable Use Policy",
        "body": """\
Policy code IT-01 · Owner: Information Security · Head of Information Security: Zoë Ångström

## Purpose

Kestrelmoor's laptops, phones, networks and cloud services exist so that we can design, build and support our instruments. This policy describes what you may and may not do with them. It applies to employees, contractors and anyone else given a Kestrelmoor account.

## Reasonable personal use

Occasional personal use is allowed, for example checking your bank or booking a dentist, provided it does not interfere with your work, does not use large amounts of bandwidth and is not illegal or offensive. Personal files should not be stored on company file shares.

## Locking your screen

Lock your screen whenever you step away. In any case, company laptops lock automatically after 5 minutes without activity, and this setting cannot be changed by users. Laptops used in the production areas of Building B are configured the same way.

## Software

Only software from the company catalogue may be installed. If you need something that is not in the catalogue, raise a software request in Plover, the IT ticketing system. Allow 3 working days for a software request to be reviewed, because Information Security checks the licence and the vendor before approval. Browser extensions count as software.

## Removable media

USB memory sticks and external drives are blocked by default. The only exception is the company-issued encrypted drive, which can be requested through Plover with your manager's approval. Never plug in a device you found or were given at a trade fair.

## Email and phishing

Treat unexpected attachments and links with suspicion, especially those asking you to log in or to change bank details. If you think an email is a phishing attempt, use the "Report Phish" button in the mail client or forward it to phish-report@kestrelmoor.example, then delete it. Do not reply to the sender or click anything in the message. Reporting a false alarm is never a problem; missing a real one can be.

## Monitoring

To protect our systems, Information Security records security logs from company devices and network equipment. Logs are reviewed when there is a security reason to do so and are not used to track individual productivity.

## Breaches of this policy

Breaches are handled under the disciplinary procedure. Where the breach exposes company or customer data it is also treated as a security incident under the Incident Response Procedure.
""",
        "facts": [
            ("numeric", "5 minutes", "company laptops lock automatically after 5 minutes without activity,", [
                "After how long without activity does a company laptop lock itself?",
                "What is the automatic screen-lock timeout on Kestrelmoor laptops?",
                "If I leave my laptop idle, how many minutes pass before it locks?",
            ]),
            ("numeric", "3 working days", "Allow 3 working days for a software request to be reviewed,", [
                "How long does it take for a software request in Plover to be reviewed?",
                "If I need an application that is not in the catalogue, how many working days should I allow?",
                "What is the expected review time for requests to install new software?",
            ]),
            ("name", "phish-report@kestrelmoor.example", "forward it to phish-report@kestrelmoor.example,", [
                "To which email address should suspected phishing messages be forwarded?",
                "Where do I send a suspicious email if the Report Phish button isn't available?",
                "What is the mailbox for reporting phishing attempts?",
            ]),
        ],
    },
    {
        "id": "policies/passwords-and-mfa.md",
        "title": "Passwords and Multi-Factor Authentication Standard",
        "body": """\
Standard code IT-03 · Owner: Information Security

## Why this standard matters

Most account compromises start with a guessed, reused or phished password. This standard sets the minimum rules for passwords and for multi-factor authentication (MFA) on every Kestrelmoor system, including the instrument firmware build servers and the customer portal administration pages.

## Passwords

- Passwords must be at least 14 characters long. We recommend a passphrase made of four or more unrelated words.
- Do not reuse a Kestrelmoor password anywhere else, and do not reuse any of your last ten Kestrelmoor passwords.
- Do not write passwords down unless they are kept in the approved password manager.

Ordinary user passwords do not expire on a schedule, because forced changes tend to produce weaker passwords. You must, however, change your password immediately if you suspect anyone else knows it, and report the suspicion to the Service Desk.

## Account lockout

An account is locked after 6 failed sign-in attempts. The lock lasts for 20 minutes and then clears automatically; the Service Desk can unlock it sooner once they have confirmed your identity by calling you back on the number held in Dunlin.

## Multi-factor authentication

MFA is mandatory for all remote access, for email and for the HR and finance systems. Most colleagues use the authenticator app on their company phone. Administrators, developers with access to firmware signing, and anyone handling Sealed data must use a KM-Key hardware token instead of the app. KM-Keys are issued in person by the IT team in Building A after you show photo identification.

If you lose your phone or your KM-Key, report it straight away as described in the Lost or Stolen Device Procedure.

## Service accounts

Service accounts used by applications must have passwords of at least 24 random characters, stored only in the password vault. Their passwords must be rotated every 180 days, and the owner named in the vault is responsible for doing so. Information Security reviews the list of service accounts twice a year and disables any without a named owner.

## Exceptions

Some laboratory instruments cannot meet this standard, for example older controllers that support only short PINs. Such devices must be placed on the isolated lab network, and the exception must be recorded in Plover with an agreed review date.
""",
        "facts": [
            ("numeric", "14 characters", "Passwords must be at least 14 characters long.", [
                "What is the minimum length for a Kestrelmoor user password?",
                "How many characters long does my password have to be at minimum?",
                "What's the shortest password the standard allows for ordinary accounts?",
            ]),
            ("numeric", "6 failed sign-in attempts", "An account is locked after 6 failed sign-in attempts.", [
                "How many wrong password attempts lock an account?",
                "After how many unsuccessful logins is a user account locked out?",
                "What number of failed sign-ins triggers the account lockout?",
            ]),
            ("name", "KM-Key", "must use a KM-Key hardware token instead of the app.", [
                "What hardware token must administrators use for multi-factor authentication?",
                "Which MFA device is required for people who handle Sealed data?",
                "Instead of the authenticator app, what do developers with firmware signing access use for MFA?",
            ]),
        ],
    },
    {
        "id": "policies/data-retention.md",
        "title": "Records and Data Retention Policy",
        "body": """\
Policy code LEG-02 · Owner: Legal · Data Protection Officer: Henrike Solvang-Mbeki

## Purpose

We keep records because the law, our customers and our quality system require it, and we delete them when we no longer need them. Keeping data for too long is a risk in its own right: it can be lost, stolen or misused. This policy sets the retention period for the main record types. Where a record is not listed, ask the Data Protection Officer before deleting or keeping it indefinitely.

## Retention schedule

| Record type | Retention period | Owner |
|---|---|---|
| Customer service records (visit reports, repair history) | 7 years after the last service contact | Service Operations |
| Calibration certificates issued to customers | 12 years from date of issue | Metrology |
| Decontamination declarations (form QF-112) | 5 years from receipt | Quality |
| Unsuccessful job applicant data | 9 months after the recruitment decision | People Team |
| CCTV footage from site cameras | 31 days, unless needed for an investigation | Facilities |
| Employee personnel files | 6 years after employment ends | People Team |
| Ordinary email | 3 years, then automatic deletion | IT |

Retention periods run from the event shown in the table. Where a legal hold applies, for example because of a dispute or warranty claim, Legal will tell the record owner and deletion must be suspended until the hold is lifted.

## Deleting records

Electronic records are deleted using the tools provided by IT; paper records go in the locked confidential waste bins, which are emptied by our shredding contractor every Friday. Never put customer records in ordinary recycling.

## Requests from individuals

People have the right to ask what personal data we hold about them and, in some cases, to ask us to delete it. All such requests must be forwarded to the Data Protection Officer on the day they are received, whichever channel they arrive by. We aim to reply in full within 28 days.

## Responsibilities

Each record owner in the schedule is responsible for making sure that retention is applied in their systems, and for confirming this to the Data Protection Officer in the annual retention review, held every November.
""",
        "facts": [
            ("numeric", "7 years after the last service contact", "| Customer service records (visit reports, repair history) | 7 years after the last service contact | Service Operations |", [
                "How long are customer service records such as visit reports kept?",
                "What is the retention period for a customer's repair history?",
                "For how many years after the last service contact do we keep service visit reports?",
            ]),
            ("numeric", "9 months", "| Unsuccessful job applicant data | 9 months after the recruitment decision | People Team |", [
                "How long is data about unsuccessful job applicants kept?",
                "After a recruitment decision, when must rejected candidates' data be deleted?",
                "What retention period applies to applicants who didn't get the job?",
            ]),
            ("numeric", "31 days", "| CCTV footage from site cameras | 31 days, unless needed for an investigation | Facilities |", [
                "For how long is CCTV footage kept if no investigation needs it?",
                "What is the retention period for site camera recordings?",
                "How many days do we hold security camera footage?",
            ]),
        ],
    },
    {
        "id": "policies/data-classification.html",
        "title": "Information Classification Standard",
        "body": """\
Standard code IT-02 · Owner: Information Security · Advice: Data Protection Officer

## Why we classify information

Different information needs different protection. A product brochure can be handed to anyone; a salary spreadsheet cannot. Classifying information tells everyone how to store it, share it and dispose of it without having to ask each time. Every document, dataset and system at Kestrelmoor must carry one of four classification levels.

## The four levels

Kestrelmoor uses four levels, from least to most sensitive: Open, Internal, Restricted, Sealed.

- **Open**: approved for public release, such as published manuals, brochures and press releases.
- **Internal**: day-to-day business information that would cause little harm if disclosed, such as the canteen menu or most procedures.
- **Restricted**: information that would harm customers or the company if disclosed, such as customer service records, unreleased product specifications and supplier prices.
- **Sealed**: the most sensitive information, such as salary and health data, firmware signing keys and merger discussions.

## Handling rules

| Level | Storage | Sharing outside Kestrelmoor |
|---|---|---|
| Open | Anywhere | Allowed |
| Internal | Company systems only | With a business reason |
| Restricted | Company systems only, access by team | Encrypted, with a signed NDA |
| Sealed | The Vault share only | Only with the data owner's written approval |

Sealed data must be stored only on the Vault share, an encrypted file area with named-person access and full audit logging. Copying Sealed data to laptops, phones or removable drives is not permitted, even temporarily.

## Labelling

Documents above Open carry their level in the footer. Emails carrying Restricted or Sealed information must include the level in square brackets at the start of the subject line, for example [Restricted].

## When you are unsure

The creator of a document chooses its level and the data owner can change it. If you are unsure which level applies, ask the Data Protection Officer, Henrike Solvang-Mbeki, before sharing. Choosing a higher level is always safer than choosing a lower one while you wait for advice.

## Disposal

Paper marked Restricted or Sealed goes in the locked confidential waste bins. Electronic media that held Sealed data is destroyed by IT, who record the serial number and the date of destruction.
""",
        "facts": [
            ("name", "Open, Internal, Restricted, Sealed", "Kestrelmoor uses four levels, from least to most sensitive: Open, Internal, Restricted, Sealed.", [
                "What are the four information classification levels, from least to most sensitive?",
                "List Kestrelmoor's data classification levels in order of increasing sensitivity.",
                "Which classification labels can a document carry, starting with the least sensitive?",
            ]),
            ("name", "the Vault share", "Sealed data must be stored only on the Vault share,", [
                "Where is Sealed data allowed to be stored?",
                "What is the only permitted storage location for information classified as Sealed?",
                "If I have a salary spreadsheet, on which file area must it be kept?",
            ]),
            ("name", "Henrike Solvang-Mbeki", "If you are unsure which level applies, ask the Data Protection Officer, Henrike Solvang-Mbeki, before sharing.", [
                "Who should I ask if I'm not sure which classification level a document needs?",
                "Who is Kestrelmoor's Data Protection Officer?",
                "Which person gives advice on information classification when staff are uncertain?",
            ]),
        ],
    },
    {
        "id": "policies/procurement.md",
        "title": "Procurement Policy",
        "body": """\
Policy code FIN-05 · Owner: Procurement · Head of Procurement: Ines Castellbright

## Purpose

Good purchasing protects our margins, our quality and our reputation. This policy applies to every purchase of goods or services made with Kestrelmoor money, including spare parts, laboratory consumables, software subscriptions and consultancy. Travel booked through Tern and expenses claimed through Linnet follow their own policies.

## Purchase orders

A purchase order (PO) must be raised and approved before any supplier is asked to deliver or start work. Invoices that arrive without a matching PO are returned to the supplier unpaid. POs are raised in the finance system and routed automatically to the correct approver for the cost centre.

## Quotation thresholds

The number of quotes depends on the expected total value of the order, excluding VAT:

| Order value | Requirement |
|---|---|
| Up to €2,500 | One quote, or a catalogue price from an approved supplier |
| €2,500.01 to €25,000 | three written quotes |
| Above €25,000 | Formal tender run by Procurement and decided by the Procurement Board |

Do not split an order into smaller orders to avoid a threshold. If only one supplier can provide an item, for example a proprietary part, record a single-source justification on the PO and Procurement will review it.

## Procurement Board

The Procurement Board decides tenders and reviews single-source justifications above €10,000. It meets on the first Tuesday of each month, chaired by the Head of Procurement with the Financial Controller and one engineering lead. Papers must reach Procurement five working days before the meeting.

## Approved suppliers

Wherever possible, buy from the approved supplier list in the finance system. New suppliers are added after checks on finances, quality and ethics. The approved supplier list is reviewed every 18 months, and suppliers with repeated quality problems or late deliveries may be removed earlier.

## Conflicts of interest

If you have a personal or family connection with a supplier, declare it to Procurement before taking part in any purchase involving them. Gifts from suppliers are covered by the Gifts and Hospitality Policy.

## Sustainability

Where quality and price are comparable, prefer suppliers who can evidence lower packaging waste and shorter transport distances. Procurement tracks this as part of the supplier review.
""",
        "facts": [
            ("numeric", "€2,500", "| Up to €2,500 | One quote, or a catalogue price from an approved supplier |", [
                "Up to what order value is a single quote enough?",
                "What is the highest purchase value that can be made with just one quotation?",
                "Below which amount do I not need to collect multiple quotes?",
            ]),
            ("numeric", "Above €25,000", "| Above €25,000 | Formal tender run by Procurement and decided by the Procurement Board |", [
                "At what order value does a purchase require a formal tender?",
                "When must a purchase go to the Procurement Board as a tender instead of quotes?",
                "What is the threshold above which three quotes are no longer enough?",
            ]),
            ("date", "first Tuesday of each month", "It meets on the first Tuesday of each month,", [
                "When does the Procurement Board meet?",
                "On which day of the month is the Procurement Board held?",
                "How often, and on what day, does the board that decides tenders sit?",
            ]),
        ],
    },
]

POLICY_DOCS += [
    {
        "id": "policies/remote-work.md",
        "title": "Hybrid and Remote Working Policy",
        "body": """\
Policy code HR-09 · Owner: People Team

## Our approach

Many roles at Kestrelmoor need hands on instruments, and some do not. This policy lets people whose work can be done remotely split their week between home and the office, while keeping the collaboration that makes our products good. Production, laboratory and field roles are mostly site-based and are covered by local team arrangements.

## How much remote work

Eligible employees may work from home for up to 3 days per week, agreed with their line manager. Teams are encouraged to choose one or two common office days so that people actually meet when they come in. Remote working is a flexible arrangement, not a contractual right, and a manager may ask you to come in on a particular day for a good business reason.

## Core hours

Whether you are at home or in the office, you should be available between 10:00 and 15:00 on working days, which are our core hours. Outside core hours you can arrange your time flexibly within your contracted hours. Meetings should not normally be scheduled outside core hours without the agreement of the people invited.

## Equipment and costs

The company provides a laptop, headset and phone. In addition, each eligible employee can claim a one-off home office allowance of €350 through Linnet for items such as a desk chair or monitor arm. The allowance can be claimed once during employment and receipts are required. Kestrelmoor does not pay home energy or internet costs.

## Security at home

Company information must be protected at home as it is in the office. Do not let family members use your work laptop, lock the screen when you step away and avoid working on Restricted or Sealed information in public places such as cafés or trains.

## Working from abroad

Working temporarily from another country raises tax, insurance and security questions. You may work from abroad for up to 20 working days per leave year, but only with prior written approval from the HR Director, Tobias Wrenfield. Apply at least a month in advance through Dunlin. Working abroad without approval is a breach of this policy, even for a single day.

## Health and safety

Complete the home workstation self-assessment in Dunlin within your first month of remote working, and tell your manager if anything in your set-up causes discomfort. The Facilities team can arrange a loan of ergonomic equipment if needed.

## Reviewing arrangements

Arrangements are reviewed at least once a year during your performance conversation, or earlier if either you or your manager thinks they are not working.
""",
        "facts": [
            ("numeric", "3 days per week", "Eligible employees may work from home for up to 3 days per week,", [
                "How many days a week can eligible staff work from home?",
                "What is the maximum weekly number of remote working days under the hybrid policy?",
                "Under the hybrid arrangement, how much of my week may be spent working at home?",
            ]),
            ("date", "between 10:00 and 15:00", "you should be available between 10:00 and 15:00 on working days, which are our core hours.", [
                "What are Kestrelmoor's core working hours?",
                "During which hours must hybrid workers be available each working day?",
                "Between what times of day should meetings normally be scheduled?",
            ]),
            ("numeric", "20 working days", "You may work from abroad for up to 20 working days per leave year,", [
                "For how many working days per year may an employee work from another country?",
                "What is the annual limit on working remotely from abroad?",
                "How long can I work temporarily outside the country in a leave year?",
            ]),
        ],
    },
    {
        "id": "policies/gifts-and-hospitality.md",
        "title": "Gifts and Hospitality Policy",
        "body": """\
Policy code LEG-04 · Owner: Legal

## Why we have rules on gifts

Customers and suppliers sometimes want to thank us, and we sometimes want to thank them. That is normal. But gifts and hospitality can also create the impression, or the reality, that decisions are being bought. This policy sets simple limits so that everyone can act confidently.

## Receiving gifts

You may accept modest gifts, such as a diary, a box of chocolates or a branded mug, with a value of up to €60 without asking anyone. Any gift worth more than €60 must be declared in the gifts register within five working days, whether or not you keep it. Legal will decide whether the gift can be kept, should be returned, or should be raffled for charity at the staff summer event.

Never accept:

- cash, vouchers or anything that can easily be turned into cash;
- gifts from a supplier during an open tender in which that supplier is taking part;
- anything offered in exchange for, or in expectation of, a decision.

## Hospitality

Reasonable hospitality, such as a working lunch or a table at a trade association dinner, helps build relationships. Hospitality worth more than €150 per person, whether given or received, requires approval from your director before you accept or offer it. Travel and hotel costs paid by a third party always need director approval.

## Giving gifts

Company gifts to customers are ordered from the Marketing catalogue, which only contains items under the €60 limit. Gifts to public officials, including staff of public hospitals and universities, are not allowed without Legal's approval because of anti-bribery rules.

## The gifts register

The gifts register is kept by the Legal team in Linnet. Each entry records who gave or received the item, its estimated value, the business relationship and the decision made. Legal reviews the register every quarter and reports any patterns to the Finance and Audit Committee.

## Raising concerns

If you are offered something that makes you uncomfortable, or you see something that looks wrong, talk to Legal or use the whistleblowing line described in the Whistleblowing Policy. You will not be criticised for asking.
""",
        "facts": [
            ("numeric", "€60", "with a value of up to €60 without asking anyone.", [
                "Up to what value can an employee accept a gift without asking anyone?",
                "What is the gift value limit above which a declaration in the gifts register is needed?",
                "How expensive can a present from a customer be before I have to declare it?",
            ]),
            ("numeric", "€150 per person", "Hospitality worth more than €150 per person, whether given or received, requires approval from your director", [
                "Above what value per person does hospitality need a director's approval?",
                "When does a business dinner offered by a supplier require sign-off from my director?",
                "What is the per-head hospitality threshold in the gifts policy?",
            ]),
        ],
    },
    {
        "id": "policies/health-and-safety.html",
        "title": "Health and Safety Policy Summary",
        "body": """\
Policy code HS-01 · Owner: Facilities · Facilities Manager: Osric Delahaye

## Our commitment

Kestrelmoor builds equipment that heats, cools, spins and pumps. Each of those can hurt someone if handled carelessly. We are committed to sending everyone home in the same condition they arrived in. This page summarises the health and safety arrangements at the Dunmarrow site; detailed risk assessments are held by each department.

## Fire and evacuation

When the fire alarm sounds continuously, leave by the nearest exit and do not stop to collect belongings. The assembly point for all Dunmarrow buildings is Assembly Point C, beside the cycle shelter on the north car park. Fire wardens in high-visibility yellow vests will check each area and report to the incident controller at the assembly point.

The fire alarm is tested every Wednesday at 11:00. The test is a short intermittent tone; there is no need to leave the building unless the tone becomes continuous.

## First aid

Each building has a named lead first aider:

| Building | Lead first aider | Extension |
|---|---|---|
| Building A | Rhiannon Castellanos-Pyke | 3311 |
| Building B | Bartholomew Iqbal-Strand | 3322 |
| Building C | Noor Lindqvist-Adair | 3333 |

First aid kits and a defibrillator are located next to the main stairs in each building.

## Laboratory and workshop safety

- Lab coats and safety glasses are required in all laboratories in Building C.
- Safety boots are required on the production floor in Building B.
- Hearing protection must be worn in the centrifuge test cell whenever the warning lamp is lit.
- Lone working in laboratories after 19:00 requires a lone-working check-in with security.

## Reporting accidents and near misses

Every accident, however minor, and every near miss must be reported using form HS-7 within 24 hours. The form is available in Plover under "Health and safety". Reports are reviewed by the Facilities Manager every week, and trends are discussed at the quarterly safety committee.

## Responsibilities

Managers are responsible for the safety of the work they direct. Everyone is responsible for following safe systems of work, using the protective equipment provided and stopping any task they believe is unsafe. Nobody will be criticised for stopping work on safety grounds.
""",
        "facts": [
            ("name", "Assembly Point C", "The assembly point for all Dunmarrow buildings is Assembly Point C, beside the cycle shelter on the north car park.", [
                "Where do staff gather after evacuating a Dunmarrow building during a fire?",
                "What is the fire assembly point for the Dunmarrow site?",
                "If the fire alarm goes off continuously, where should I go once I'm outside?",
            ]),
            ("date", "every Wednesday at 11:00", "The fire alarm is tested every Wednesday at 11:00.", [
                "When is the weekly fire alarm test?",
                "On what day and time is the fire alarm tested at Dunmarrow?",
                "If I hear a short intermittent alarm tone, what's the regular test slot it might be?",
            ]),
            ("name", "form HS-7", "must be reported using form HS-7 within 24 hours.", [
                "Which form is used to report an accident or near miss?",
                "What is the name of the form for recording near misses on site?",
                "If I cut my hand in the workshop, which form must I fill in?",
            ]),
            ("date", "after 19:00", "Lone working in laboratories after 19:00 requires a lone-working check-in with security.", [
                "From what time does working alone in a lab require a check-in with security?",
                "After which hour do lone workers in laboratories need to check in with security?",
                "When does the lone-working check-in rule for labs start applying in the evening?",
            ]),
        ],
    },
    {
        "id": "policies/vehicle-fleet.txt",
        "title": "Company Vehicle and Fleet Policy",
        "body": """\
Policy code FAC-03. Owner: Facilities. Fleet coordinator: Wilhelmina Roost.

WHO THIS APPLIES TO

This policy applies to every employee who drives a Kestrelmoor vehicle. Most of our fleet is made up of service vans used by field engineers from the Lisker Road Service Centre, plus a small number of pool cars at Dunmarrow that can be booked for site visits.

BEFORE YOU DRIVE

You must hold a full driving licence valid in the country where you are driving, and you must have completed the online driver assessment before your first journey. Licences are checked with the issuing authority every six months; you consent to this check when you join the fleet scheme.

Before the first journey of each day, do the walk-round check: tyres, lights, mirrors, windscreen, fluid levels and the load restraint straps. Record the check in the fleet app. A van that fails the check must not be driven; call the fleet coordinator instead.

USING THE VEHICLE

- Service vans are for business use only; private use, including commuting detours, is not allowed unless the van is assigned to you as an on-call vehicle for that week.
- Never use a hand-held phone while driving. Pull over safely to take calls, even on hands-free if the conversation is complex.
- Equipment must be secured with the van's racking and straps. An unsecured HX-58 chiller weighs more than most passengers and becomes dangerous under braking.
- Smoking and vaping are not allowed in any company vehicle.

FUEL

Each vehicle has a fuel card for fuel, AdBlue and car washes only. The fuel card PIN is sent separately and must never be written on the card or kept in the vehicle. Record the odometer reading at every fill-up so that consumption can be monitored.

SERVICING

Vans are serviced every 20,000 km or every twelve months, whichever comes first. The fleet app will remind you when a service is due. Warning lights on the dashboard must be reported on the same day.

ACCIDENTS AND DAMAGE

If you are involved in an accident, make sure everyone is safe, call the emergency services if anyone is hurt, and exchange details with the other parties. Do not admit liability at the scene. In short: make everyone safe, call emergency services if needed, exchange details, report to the fleet coordinator. Any accident or damage must be reported to the fleet coordinator within 4 hours, using the accident card kept in the glovebox to collect the details. Minor damage found during a walk-round check must also be reported, so that the previous driver is not blamed unfairly.

FINES

Parking fines, speeding fines and congestion charges incurred while you are driving are your responsibility and will be deducted from pay if the company receives them.
""",
        "facts": [
            ("name", "Wilhelmina Roost", "Fleet coordinator: Wilhelmina Roost.", [
                "Who is the fleet coordinator for company vehicles?",
                "Whom should I call if my service van fails the daily walk-round check?",
                "Which person coordinates Kestrelmoor's vans and pool cars?",
            ]),
            ("numeric", "every 20,000 km", "Vans are serviced every 20,000 km or every twelve months, whichever comes first.", [
                "How many kilometres can a van travel between services?",
                "What is the mileage-based service interval for company vans?",
                "After what distance is a fleet van due for servicing?",
            ]),
            ("procedure", "make everyone safe, call emergency services if needed, exchange details, report to the fleet coordinator", "In short: make everyone safe, call emergency services if needed, exchange details, report to the fleet coordinator.", [
                "What should a driver do, in order, after an accident in a company van?",
                "I've just had a collision in a pool car; what steps does the fleet policy tell me to take?",
                "What is the sequence of actions after a road accident involving a Kestrelmoor vehicle?",
            ]),
        ],
    },
    {
        "id": "policies/whistleblowing.md",
        "title": "Whistleblowing Policy",
        "body": """\
Policy code LEG-06 · Owner: Legal · Whistleblowing Officer: Agnieszka Treharne (independent non-executive director)

## What this policy is for

We want to hear about wrongdoing as early as possible. This policy explains how anyone working for or with Kestrelmoor can raise a concern about fraud, bribery, safety risks, falsified test or calibration results, environmental harm, or any other serious wrongdoing, and how they will be protected when they do.

Personal grievances, such as a disagreement about your own pay or a conflict with a colleague, are usually better handled under the grievance procedure. If you are unsure which route to use, use this one; we will redirect the concern if needed.

## How to raise a concern

You can raise a concern in any of these ways:

1. Speak to your line manager, if you feel comfortable doing so.
2. Contact the Whistleblowing Officer, Agnieszka Treharne, directly. She is an independent non-executive director and does not report to the management team.
3. Use the Speak Safely line on extension 6006, or the external number printed on the posters in each building. The line is run by an independent provider and you may remain anonymous.

Please give as much detail as you can: what happened, when, where and who was involved. You do not need to prove anything; reasonable suspicion is enough.

## What happens next

Every report is acknowledged within 7 days. The Whistleblowing Officer decides who should investigate, making sure that nobody investigates a matter in which they are involved. We will tell you when the investigation is complete, although we may not be able to share the detailed outcome because of confidentiality to others.

## Protection

Nobody who raises a genuine concern will suffer any detriment as a result, even if the concern turns out to be mistaken. Retaliation against a whistleblower is a serious disciplinary offence. Knowingly making a false report is also a disciplinary matter.

## Confidentiality

Your identity will be shared only with the people who need to know it to investigate, and only with your consent unless the law requires otherwise. Anonymous reports are accepted, but they are harder to investigate because we cannot ask follow-up questions, so please consider giving at least a way to contact you through the Speak Safely provider.

## Reporting outside the company

This policy does not stop you from reporting concerns to a regulator. We hope, however, that you will give us the chance to put things right first.
""",
        "facts": [
            ("name", "Agnieszka Treharne", "Contact the Whistleblowing Officer, Agnieszka Treharne, directly.", [
                "Who is Kestrelmoor's Whistleblowing Officer?",
                "Which independent non-executive director receives whistleblowing concerns?",
                "If I want to report fraud outside the management chain, which named person can I contact?",
            ]),
            ("name", "extension 6006", "Use the Speak Safely line on extension 6006,", [
                "What internal extension is the Speak Safely line?",
                "Which extension can I ring to raise a concern anonymously?",
                "What number do I dial internally to reach the independent whistleblowing line?",
            ]),
        ],
    },
]

MANUAL_DOCS = [
    {
        "id": "manuals/kci-740/overview.md",
        "title": "KCI-740 Thermavault CO₂ Incubator: Product Overview",
        "body": """\
Document MAN-KCI740-01 · Product owner: Bioprocess team · Revision F

## Introduction

The KCI-740 Thermavault is a direct-heat CO₂ incubator for cell culture laboratories. It is designed and built by Kestrelmoor Instruments at the Dunmarrow site, and it is the product for which the Bioprocess team is responsible. This overview is intended for customers, field engineers and support staff who need the key specifications in one place. Detailed procedures are in the separate error code, decontamination and maintenance documents.

## Key specifications

| Parameter | Value |
|---|---|
| Chamber volume | 170 L |
| Temperature range | ambient +4 °C to 55 °C |
| Temperature uniformity | ±0.25 °C at 37 °C |
| CO₂ range | 0 to 20 % |
| CO₂ recovery after a 30-second door opening | back to 5 % within 7 minutes |
| Humidity | 93 % relative humidity, passive water reservoir |
| Electrical supply | 230 V, 50/60 Hz, 720 W |
| Weight (empty) | 96 kg |
| Shelves | 4 supplied, up to 9 fitted |

## Design notes

The chamber is lined with electropolished stainless steel, and all internal corners are rounded to make cleaning easier. The inner glass door lets users check cultures without disturbing the atmosphere more than necessary. The CO₂ sensor is an infrared type mounted outside the chamber airflow so that it survives the high-temperature decontamination cycle without removal.

A USB port and an Ethernet port on the rear panel allow data logging. The instrument stores up to 90 days of temperature and CO₂ readings internally at one-minute intervals, and exports them as CSV files.

## Installation requirements

Place the incubator on a level bench or the optional roller stand, at least 100 mm from walls on each side to allow airflow around the rear heat exchanger. The room temperature should be between 18 °C and 28 °C. Two units may be stacked using the KCI-STK stacking kit; do not stack more than two.

The CO₂ supply must be medical- or laboratory-grade gas regulated to 1.0 bar at the instrument inlet. Higher pressures trigger the inlet relief valve and waste gas.

## Support and ownership

Product questions from customers are answered first by the Customer Support desk. Technical escalations go to the Bioprocess team, which owns the design and firmware of the KCI-740 and approves engineering changes to it.
""",
        "facts": [
            ("numeric", "170 L", "| Chamber volume | 170 L |", [
                "What is the chamber volume of the KCI-740 incubator?",
                "How large is the Thermavault's internal chamber in litres?",
                "What capacity does the KCI-740 chamber have?",
            ]),
            ("numeric", "±0.25 °C at 37 °C", "| Temperature uniformity | ±0.25 °C at 37 °C |", [
                "What temperature uniformity does the KCI-740 achieve?",
                "How evenly does the Thermavault hold temperature across the chamber at 37 degrees?",
                "What is the specified chamber uniformity of the KCI-740 CO₂ incubator?",
            ]),
            ("numeric", "within 7 minutes", "| CO₂ recovery after a 30-second door opening | back to 5 % within 7 minutes |", [
                "How quickly does the KCI-740 recover to 5 % CO₂ after the door has been open for 30 seconds?",
                "What is the CO₂ recovery time of the Thermavault after a short door opening?",
                "After a 30-second door opening, how long does the incubator take to get back to 5 % CO₂?",
            ]),
        ],
    },
    {
        "id": "manuals/kci-740/error-codes.md",
        "title": "KCI-740 Thermavault: Error Codes",
        "body": """\
Document MAN-KCI740-03 · Applies to firmware 3.2 and later

## How errors are shown

When the KCI-740 detects a fault it shows an error code on the display, sounds an audible alarm and, if the remote alarm contact is wired, switches the contact so that a building management system can react. Pressing the bell key silences the audible alarm for 20 minutes but does not clear the error; the code stays on the display until the cause is removed.

Write down the code and the time before doing anything else. Customer Support will ask for both.

## Error code list

| Code | Meaning | First action |
|---|---|---|
| E-17 | Outer door open for longer than 90 seconds | Close the door firmly; check the gasket is not folded |
| E-22 | CO₂ sensor drift beyond 0.4 % compared with the last calibration | Run the auto-zero routine; book a sensor calibration if it returns |
| E-31 | Water reservoir level low | Refill with sterile distilled water to the MAX line |
| E-45 | Heater over-temperature: chamber above the 61 °C safety cut-out | Do not open the door; switch off and call support |
| E-58 | Communication fault between the display board and the controller | Power cycle the unit once; call support if it returns |

## Notes on individual codes

**E-17.** The door timer starts when the outer door switch opens. Ninety seconds is enough to load or unload a full shelf. If the error appears while the door is closed, the door switch may be misaligned; the switch can be adjusted by a field engineer in a few minutes.

**E-22.** Sensor drift is normal over the life of an infrared sensor. The auto-zero routine takes about 12 minutes and requires the chamber to be at ambient CO₂, so it is best started at the end of a working day. If E-22 returns within a week after auto-zero, the sensor probably needs replacement.

**E-45.** This is a safety error. The independent safety thermostat has cut power to the heaters. Cultures inside will not survive temperatures above the cut-out, and opening the door can release hot, humid air. Switch the unit off at the mains, leave it closed, and contact Customer Support, who will raise a service visit. Never try to reset E-45 more than once.

**E-58.** This code often follows a power interruption or a nearby electrical fault. A single power cycle usually clears it.

## Reporting

If any error repeats more than twice in a month, Customer Support will open a case and may ask you to export the data log from the USB port so that the Bioprocess team can review it.
""",
        "facts": [
            ("name", "E-17", "| E-17 | Outer door open for longer than 90 seconds | Close the door firmly; check the gasket is not folded |", [
                "Which KCI-740 error code means the outer door has been open too long?",
                "What code does the Thermavault show when the door is left open for more than 90 seconds?",
                "On the KCI-740 display, which error indicates a door-open timeout?",
            ]),
            ("name", "E-45", "| E-45 | Heater over-temperature: chamber above the 61 °C safety cut-out | Do not open the door; switch off and call support |", [
                "Which KCI-740 error code signals a heater over-temperature?",
                "What error appears on the Thermavault when the chamber passes the 61 °C safety cut-out?",
                "Which incubator error tells you not to open the door and to call support because the heaters overheated?",
            ]),
            ("numeric", "0.4 %", "| E-22 | CO₂ sensor drift beyond 0.4 % compared with the last calibration | Run the auto-zero routine; book a sensor calibration if it returns |", [
                "How much CO₂ sensor drift triggers error E-22 on the KCI-740?",
                "What drift threshold, compared with the last calibration, causes the CO₂ sensor error?",
                "Beyond what deviation does the Thermavault flag its CO₂ sensor as drifting?",
            ]),
        ],
    },
    {
        "id": "manuals/kci-740/decontamination.md",
        "title": "KCI-740 Thermavault: High-Temperature Decontamination Cycle",
        "body": """\
Document MAN-KCI740-05 · Revision C

## When to decontaminate

Contamination in a cell culture incubator usually shows up as cloudy media, unexpected pH changes or visible fungal growth. When this happens, or as part of a routine programme, the KCI-740 can run its built-in ThermaClean cycle. ThermaClean holds the chamber at 180 °C for 4 hours, which is enough to inactivate bacteria, fungi and spores on all internal surfaces, including the fan and the sensor housings.

Many laboratories run the cycle every three months as a preventive measure. The cycle is also required before an incubator is moved to another laboratory or returned to Kestrelmoor.

## Before you start

The complete cycle, including heat-up and cool-down, takes about 11 hours, so most users start it at the end of the working day. Make sure nothing temperature-sensitive is stored on top of the incubator, because the outer panels become warm.

## Procedure

Follow these steps in order:

1. Remove all cultures and move them to another incubator.
2. Remove the shelves and the shelf supports and wipe them with 70 % ethanol. They can be autoclaved separately if your laboratory prefers.
3. Empty the water reservoir and dry it with a lint-free cloth; the cycle will not start if water is detected.
4. Close the inner and outer doors.
5. On the display, open the Service menu and select DECON.
6. Enter the decontamination PIN, which is 7406 unless your laboratory manager has changed it.
7. Confirm the start. The door locks automatically and stays locked until the chamber is below 45 °C.

Quick reference for the wall chart: empty the chamber, drain the reservoir, close both doors, select DECON, enter the PIN.

## During the cycle

The display shows the phase (heating, holding, cooling) and the remaining time. Do not switch off the mains power. If power is lost during the holding phase, the cycle is marked as failed and must be repeated; the door remains locked until it has cooled down.

## After the cycle

When the display shows CYCLE PASSED, open the door, refit the shelf supports and shelves, refill the reservoir with sterile distilled water and allow the incubator to stabilise for at least 2 hours before loading cultures. A cycle report with the date, time and peak temperature is saved in the data log. Keep a printed or electronic copy if your quality system requires evidence of decontamination; a copy is also needed when completing form QF-112 for a return.
""",
        "facts": [
            ("numeric", "180 °C for 4 hours", "ThermaClean holds the chamber at 180 °C for 4 hours,", [
                "At what temperature and for how long does the ThermaClean cycle hold the KCI-740 chamber?",
                "What are the holding conditions of the Thermavault's high-temperature decontamination?",
                "How hot does the KCI-740 decontamination cycle get, and for how many hours is that held?",
            ]),
            ("name", "7406", "Enter the decontamination PIN, which is 7406 unless your laboratory manager has changed it.", [
                "What is the default PIN to start the KCI-740 decontamination cycle?",
                "Which code must be entered to launch ThermaClean if nobody has changed it?",
                "What factory PIN unlocks the DECON function on the Thermavault?",
            ]),
            ("procedure", "empty the chamber, drain the reservoir, close both doors, select DECON, enter the PIN", "Quick reference for the wall chart: empty the chamber, drain the reservoir, close both doors, select DECON, enter the PIN.", [
                "What are the steps, in order, to start the KCI-740 decontamination cycle?",
                "How do I prepare and launch ThermaClean on the Thermavault, step by step?",
                "In what sequence should a user get the incubator ready and start its high-temperature decontamination?",
            ]),
        ],
    },
]

MANUAL_DOCS += [
    {
        "id": "manuals/kci-740/maintenance.txt",
        "title": "KCI-740 Thermavault: Routine Maintenance Schedule",
        "body": """\
Document MAN-KCI740-07. For laboratory users and Kestrelmoor field engineers.

INTRODUCTION

A well-maintained incubator keeps cultures healthy and avoids unplanned downtime. Most of the tasks below can be carried out by trained laboratory staff. Tasks marked "engineer" must be done by a Kestrelmoor field engineer or an engineer trained by us, otherwise the warranty may be affected.

WEEKLY TASKS (USER)

- Change the water in the humidity reservoir. Use sterile distilled water only; tap water leaves mineral deposits that encourage contamination and block the level sensor.
- Wipe the inner glass door and the door gasket with 70 % ethanol.
- Check the display for stored warnings and note them in the instrument log book.

MONTHLY TASKS (USER)

- Inspect the outer door gasket for tears, flattening or mould. A damaged gasket is the most common cause of error E-17 and of slow CO2 recovery. Replacement gaskets are part number KG-740-D.
- Check the CO2 cylinder pressure and the supply tubing for kinks.

EVERY 6 MONTHS (ENGINEER)

- Calibrate the CO2 sensor against a certified reference gas. The CO2 sensor must be calibrated every 6 months, or sooner if error E-22 has appeared twice since the last calibration.
- Verify chamber temperature at three points with a calibrated probe and adjust the offset if needed.

EVERY 12 MONTHS (ENGINEER)

- Replace the in-chamber HEPA filter. The HEPA filter, part number KF-212, is replaced every 12 months and after any known contamination event.
- Test the over-temperature safety cut-out.
- Check the door switch alignment and the door lock used during decontamination.
- Issue a service report through Siskin and attach the calibration certificate.

WHAT TO USE FOR CLEANING

Use 70 % ethanol or a quaternary ammonium disinfectant. Do not use chlorine bleach on any internal surface: chlorine attacks stainless steel over time and leaves pitting that is impossible to clean properly. Do not use abrasive pads on the electropolished walls.

PARTS AND CONSUMABLES

Spare parts are ordered through Customer Support or the customer portal, quoting the serial number from the label on the rear panel. The serial number format is TV followed by seven digits.

SERVICE CONTRACTS

Customers on a Kestrelmoor service contract receive both the six-monthly and the annual engineer visits as part of the contract. The field service team will contact the customer about four weeks before a visit is due to agree a date. Customers without a contract can book visits individually through Customer Support.

RECORD KEEPING

Keep the instrument log book next to the incubator. Auditors frequently ask to see evidence that weekly and monthly tasks were carried out, and the log book is the simplest way to show it.
""",
        "facts": [
            ("numeric", "every 6 months", "The CO2 sensor must be calibrated every 6 months,", [
                "How often must the KCI-740's CO2 sensor be calibrated?",
                "What is the calibration interval for the Thermavault's CO2 sensor?",
                "At what frequency does an engineer need to recalibrate the incubator's carbon dioxide sensor?",
            ]),
            ("name", "KF-212", "The HEPA filter, part number KF-212, is replaced every 12 months", [
                "What is the part number of the KCI-740's HEPA filter?",
                "Which spare part should I order to replace the Thermavault in-chamber HEPA filter?",
                "Quote the part number for the incubator's annual replacement filter.",
            ]),
            ("name", "TV followed by seven digits", "The serial number format is TV followed by seven digits.", [
                "What format do KCI-740 serial numbers have?",
                "How is a Thermavault serial number structured?",
                "What should an incubator serial number look like on the rear label?",
            ]),
        ],
    },
    {
        "id": "manuals/rz-3100/overview.md",
        "title": "RZ-3100 Orbis Refrigerated Centrifuge: Product Overview",
        "body": """\
Document MAN-RZ3100-01 · Product owner: Separation team · Revision D

## Introduction

The RZ-3100 Orbis is a benchtop refrigerated centrifuge for clinical, research and quality-control laboratories. It accepts four rotor families, recognises each rotor automatically and limits the speed accordingly. The Separation team is responsible for the RZ-3100's design, firmware and engineering changes.

## Key specifications

| Parameter | Value |
|---|---|
| Maximum speed | 15,200 rpm |
| Maximum relative centrifugal force | 21,380 × g |
| Temperature range | −9 °C to +40 °C |
| Pre-cooling from 22 °C to 4 °C | 11 minutes, with the RZ-F24 rotor |
| Maximum capacity | 4 × 250 mL |
| Noise at maximum speed | below 58 dB(A) |
| Electrical supply | 230 V, 50 Hz, 1,650 W |
| Weight without rotor | 71 kg |

## Rotors

| Rotor | Type and capacity | Maximum speed | Maximum RCF |
|---|---|---|---|
| RZ-F24 | Fixed angle, 24 × 1.5/2.0 mL microtubes | 15,200 rpm | 21,380 × g |
| RZ-F6 | Fixed angle, 6 × 50 mL conical tubes | 11,000 rpm | 14,870 × g |
| RZ-A24 | Swing-out, 4 buckets for 250 mL bottles or blood tubes | 4,600 rpm | 4,150 × g |
| RZ-P96 | Swing-out plate rotor, 2 × microplates | 4,000 rpm | 2,980 × g |

The maximum speed and RCF values apply at 20 °C with the rotor's own lid fitted. The centrifuge reads a magnetic code in the rotor hub and will not accelerate beyond the rotor's limit.

## Safety features

- Lid lock that stays closed until the rotor has stopped completely.
- Imbalance detection, which stops the run automatically.
- Steel armour ring around the rotor chamber, tested for rotor failure at full speed.
- Automatic rotor recognition to prevent overspeed.

## Installation

Place the centrifuge on a stable bench that can carry at least 150 kg, with 300 mm of clear space on all sides for ventilation and as a safety zone during runs. No person should lean on the bench during a run. The unit needs a dedicated 16 A socket.

## Where to find more

Lid release, imbalance handling, error codes and rotor care are described in separate documents. Customers with technical questions should contact Customer Support, who escalate to the Separation team when needed.
""",
        "facts": [
            ("numeric", "15,200 rpm", "| Maximum speed | 15,200 rpm |", [
                "What is the top speed of the RZ-3100 centrifuge?",
                "How fast can the Orbis centrifuge spin at most, in rpm?",
                "What maximum rotational speed is specified for the RZ-3100?",
            ]),
            ("numeric", "11 minutes", "| Pre-cooling from 22 °C to 4 °C | 11 minutes, with the RZ-F24 rotor |", [
                "How long does the RZ-3100 take to pre-cool from 22 °C to 4 °C?",
                "What is the Orbis centrifuge's pre-cooling time down to 4 degrees with the microtube rotor?",
                "If I start pre-cooling the RZ-3100 at room temperature, how many minutes until it reaches 4 °C?",
            ]),
            ("numeric", "−9 °C to +40 °C", "| Temperature range | −9 °C to +40 °C |", [
                "What temperature range can the RZ-3100 chamber be set to?",
                "Between which temperatures does the Orbis centrifuge operate?",
                "What are the lowest and highest chamber temperatures of the RZ-3100?",
            ]),
        ],
    },
    {
        "id": "manuals/rz-3100/lid-and-imbalance.html",
        "title": "RZ-3100 Orbis: Imbalance Handling and Emergency Lid Release",
        "body": """\
Document MAN-RZ3100-04 · Revision B

## Why balance matters

A centrifuge rotor stores a great deal of energy. Even a small difference in mass between opposite positions creates a force that grows with the square of the speed, wears the drive bearings and, in extreme cases, can damage the rotor. The RZ-3100 monitors vibration continuously and stops the run if it detects an imbalance, showing error C-09.

## Loading the rotor correctly

- Load tubes in opposite pairs, so that the rotor is symmetrical.
- Opposite tubes must match within 0.5 g of each other, including caps and adapters.
- With swing-out rotors, every bucket position must hold a bucket, even if some buckets are empty.
- Use balance tubes filled with water to make up an odd number of samples.

Most imbalance stops happen because a tube was filled by eye rather than weighed, or because an adapter was left out of one bucket.

## What to do after an imbalance stop

1. Wait until the display shows 0 rpm and the lid lock releases.
2. Open the lid and check for broken or leaking tubes. If a tube has broken, treat the chamber as contaminated and follow your laboratory's spill procedure.
3. Weigh the opposite tubes and correct the load.
4. Restart the run.

Short version: wait for 0 rpm, check for broken tubes, weigh and correct, restart.

If C-09 appears with a correctly balanced load, the rotor may be damaged or incorrectly seated. Stop using the rotor and contact Customer Support.

## Emergency lid release

During a power cut the lid lock cannot be opened electrically. Samples can be removed using the emergency lid release, but only when the rotor has completely stopped. A rotor can keep turning for several minutes after the power fails, even though the display is dark.

1. Switch off the mains switch and unplug the centrifuge.
2. Wait at least 15 minutes so that the rotor has come to a complete stop.
3. Look through the inspection window in the lid to confirm that the rotor is not moving.
4. Insert the hexagonal release key into the opening on the right-hand side panel.
5. Turn the key a quarter turn anticlockwise and lift the lid.

In short: unplug, wait 15 minutes, check the window, insert the key, turn a quarter anticlockwise.

Never use the emergency release while any part of the rotor is moving. The release key is stored in a clip on the back of the unit; keep it there so that it can be found quickly.

## Training

Laboratory managers should make sure every user has read this document before using the RZ-3100 unsupervised. A short video of the lid release is available in the customer portal.
""",
        "facts": [
            ("numeric", "0.5 g", "Opposite tubes must match within 0.5 g of each other, including caps and adapters.", [
                "Within how many grams must opposite tubes in the RZ-3100 match?",
                "What is the allowed mass difference between opposing tubes when loading the Orbis rotor?",
                "How closely must paired samples be balanced in the RZ-3100, by weight?",
            ]),
            ("procedure", "wait for 0 rpm, check for broken tubes, weigh and correct, restart", "Short version: wait for 0 rpm, check for broken tubes, weigh and correct, restart.", [
                "What should a user do, step by step, after the RZ-3100 stops because of an imbalance?",
                "After an imbalance stop on the Orbis, what is the recovery sequence?",
                "Which actions, in order, follow a C-09 stop before running again?",
            ]),
            ("name", "C-09", "The RZ-3100 monitors vibration continuously and stops the run if it detects an imbalance, showing error C-09.", [
                "Which error code does the RZ-3100 display after an imbalance stop?",
                "What code appears on the Orbis centrifuge when the load is unbalanced?",
                "If the centrifuge halts because of vibration from uneven tubes, which error is shown?",
            ]),
            ("procedure", "unplug, wait 15 minutes, check the window, insert the key, turn a quarter anticlockwise", "In short: unplug, wait 15 minutes, check the window, insert the key, turn a quarter anticlockwise.", [
                "What are the steps of the RZ-3100 emergency lid release during a power cut?",
                "How do I get samples out of the Orbis centrifuge when the power has failed?",
                "In what order should the manual lid release of the RZ-3100 be carried out?",
            ]),
        ],
    },
]

MANUAL_DOCS += [
    {
        "id": "manuals/rz-3100/rotor-care.md",
        "title": "RZ-3100 Orbis: Rotor Selection, Care and Retirement",
        "body": """\
Document MAN-RZ3100-06 · Revision C

## Choosing the right rotor

Each RZ-3100 rotor is designed for a particular kind of sample. Using the right rotor gives better separation and longer rotor life. The recommendations below cover the applications our customers ask about most often:

- Microtube work such as DNA precipitation and protein pellets: use the RZ-F24 fixed-angle rotor.
- Cell pellets and cultures in 50 mL conical tubes: use the RZ-F6 fixed-angle rotor.
- For blood fractionation, use the RZ-A24 swing-out rotor with the sealed blood tube buckets, because a swing-out rotor gives a flat, clean interface between plasma and cells.
- Cell-based assays in microplates: use the RZ-P96 plate rotor.

Speed limits for every rotor are listed in the product overview. The centrifuge enforces them automatically.

## Cleaning

Clean rotors and buckets after any spill and at least once a week in regular use. Use warm water with a neutral detergent and a soft brush, rinse with distilled water and leave upside down to dry with the lid off.

Never use chlorine bleach, strong alkalis or abrasive cleaners on rotors. The aluminium rotor body is anodised, and chlorine causes pitting corrosion that is invisible at first but weakens the rotor.

## Sterilisation

Of the four rotors, only the RZ-F24 may be autoclaved, at 121 °C for 20 minutes with its lid removed. The other rotors must be disinfected chemically, for example with 70 % ethanol. Buckets and adapters made of polypropylene can be autoclaved separately.

## Inspection

Before every use, look for cracks, corrosion spots, scratches in the tube cavities and damage to the lid seal. Inspect the trunnion pins of swing-out rotors for wear every 500 runs, and lightly grease them with the pin grease supplied with the rotor.

## Retirement

Rotors fatigue with every acceleration. Fixed-angle rotors must be retired after 10,000 runs or 7 years from first use, whichever comes first. The RZ-3100 counts runs per rotor using the rotor's magnetic code and warns the user when 90 % of the run limit has been reached. Swing-out rotors have no run limit but must be replaced if inspection finds corrosion or cracks.

Retired rotors must be made unusable, for example by drilling through the hub, and disposed of as scrap aluminium. Customers on a service contract can return them to Kestrelmoor, and the field engineer will fit the replacement.

## Storage

Store rotors dry, with their lids off, in a place where they cannot fall. Do not store rotors inside the centrifuge chamber between runs; condensation forms there and encourages corrosion.
""",
        "facts": [
            ("name", "RZ-F24", "Of the four rotors, only the RZ-F24 may be autoclaved, at 121 °C for 20 minutes with its lid removed.", [
                "Which RZ-3100 rotor is the only one that may be autoclaved?",
                "If I want to steam-sterilise an Orbis rotor, which one is allowed?",
                "Which of the centrifuge's rotors can go in the autoclave?",
            ]),
            ("numeric", "10,000 runs or 7 years", "Fixed-angle rotors must be retired after 10,000 runs or 7 years from first use, whichever comes first.", [
                "When must a fixed-angle RZ-3100 rotor be retired?",
                "What is the life limit of an Orbis fixed-angle rotor?",
                "After how many runs or years should a fixed-angle centrifuge rotor be taken out of service?",
            ]),
        ],
    },
    {
        "id": "manuals/rz-3100/error-codes.md",
        "title": "RZ-3100 Orbis: Error Codes and Troubleshooting",
        "body": """\
Document MAN-RZ3100-03 · Applies to firmware 2.8 and later

## Reading the display

The RZ-3100 shows errors as a letter C followed by two digits. When an error occurs during a run, the centrifuge brakes to a stop, the lid stays locked until the rotor is stationary, and the code remains on the display until acknowledged with the STOP key. The last 200 errors are stored with a timestamp and can be viewed in the Service menu.

## Code list

| Code | Meaning | What to do |
|---|---|---|
| C-02 | Lid not latched at start | Press the lid down firmly on both sides until both latches click |
| C-09 | Imbalance detected | See the imbalance document; weigh and correct the load |
| C-14 | Rotor not recognised | Check the rotor is a genuine Orbis rotor and correctly seated; clean the hub code area |
| C-27 | Overspeed detected | Stop using the rotor; contact Customer Support |
| C-33 | Refrigeration fault: chamber more than 5 °C above the set temperature for 10 minutes | Check the ventilation clearance; contact support if it returns |
| C-41 | Drive motor fault | Switch off, wait 15 minutes, restart once; contact support if it returns |

## Common situations

**C-02 at every start.** A worn lid latch or a dirty latch sensor is the usual cause. Wipe the latch area with a damp cloth. If the error persists, a field engineer can replace the latch assembly.

**C-14 after cleaning.** The rotor identification code is read through the hub. Dried detergent or grease on the hub can hide the code. Clean the hub with ethanol and reseat the rotor until it clicks.

**C-27.** Overspeed is extremely rare because the drive is speed-controlled. If it occurs, the rotor may have been run with a damaged code ring. The rotor must be quarantined and inspected by Kestrelmoor before further use. Record the rotor serial number when you contact support.

**C-33 in summer.** The refrigeration system needs cool air. If the room is above 30 °C or the ventilation grilles are blocked, the chamber cannot hold low temperatures. Move boxes and equipment away from the sides and rear of the unit.

## When to call support

Contact Customer Support for any C-27 or C-41, for any error that repeats more than three times in a week, and whenever you are unsure whether the centrifuge is safe to use. Have the serial number, which starts with OR, and the error history ready. Support will escalate to the Separation team if the problem points to a design or firmware issue.
""",
        "facts": [
            ("name", "C-14", "| C-14 | Rotor not recognised | Check the rotor is a genuine Orbis rotor and correctly seated; clean the hub code area |", [
                "Which RZ-3100 error code means the rotor was not recognised?",
                "What error does the Orbis show when it cannot identify the fitted rotor?",
                "After cleaning the rotor hub, the centrifuge can't read the rotor code; which error would that give?",
            ]),
            ("name", "C-33", "| C-33 | Refrigeration fault: chamber more than 5 °C above the set temperature for 10 minutes | Check the ventilation clearance; contact support if it returns |", [
                "Which RZ-3100 code indicates a refrigeration fault?",
                "What error is shown if the Orbis chamber stays well above the set temperature for ten minutes?",
                "In a hot room the centrifuge can't keep its chamber cold; which error code results?",
            ]),
        ],
    },
    {
        "id": "manuals/hx-58/overview.md",
        "title": "HX-58 Coldmere Recirculating Chiller: Product Overview",
        "body": """\
Document MAN-HX58-01 · Product owner: Thermal Systems team · Revision G

## Introduction

The HX-58 Coldmere is an air-cooled recirculating chiller for industrial processes and large laboratory equipment, such as reactor jackets, laser sources and the condensers of rotary evaporators. It replaces tap-water cooling with a closed loop, saving water and giving stable process temperatures. The HX-58 is owned by the Thermal Systems team, which is responsible for its design, firmware and engineering changes.

## Key specifications

| Parameter | Value |
|---|---|
| Cooling capacity | 5.8 kW at +20 °C outlet and 25 °C ambient |
| Setpoint range | −10 °C to +40 °C |
| Temperature stability | ±0.1 °C |
| Pump | 38 L/min at 2.5 bar |
| Reservoir volume | 22 L |
| Refrigerant charge | 1.9 kg of low-GWP refrigerant |
| Electrical supply | 400 V three-phase, 16 A |
| Weight (empty) | 184 kg |
| Noise at 1 m | 62 dB(A) |

## Controls

The controller has a colour touch display and supports remote operation over Modbus TCP. Setpoint, alarms and operating hours can be read remotely. An optional analogue card accepts a 0–10 V setpoint signal. All settings are protected by a supervisor PIN, so that operators can view values without changing them.

## Coolant

The HX-58 is filled with a water and glycol mixture. Kestrelmoor supplies KG-40 glycol concentrate, which contains corrosion inhibitors matched to the materials in the chiller. Using other coolants may damage the pump seals and affects the warranty. The correct mixture depends on the setpoint and the installation site; see the maintenance document.

## Typical applications

- Cooling jacketed glass reactors in pilot plants.
- Cooling industrial laser sources and power electronics.
- Replacing tap-water cooling of rotary evaporator condensers.

## Ownership and support

Customer questions go first to Customer Support. Technical escalations and requests for engineering changes are handled by the Thermal Systems team. Installation and commissioning are always carried out by a Kestrelmoor field engineer or a certified partner.
""",
        "facts": [
            ("numeric", "5.8 kW", "| Cooling capacity | 5.8 kW at +20 °C outlet and 25 °C ambient |", [
                "What is the cooling capacity of the HX-58 chiller?",
                "How many kilowatts of cooling does the Coldmere deliver at +20 °C outlet?",
                "What is the HX-58's rated cooling power?",
            ]),
            ("numeric", "38 L/min at 2.5 bar", "| Pump | 38 L/min at 2.5 bar |", [
                "What flow and pressure does the HX-58 pump deliver?",
                "What is the rated pump performance of the Coldmere chiller?",
                "How much coolant per minute, and at what pressure, does the HX-58 circulate?",
            ]),
            ("name", "KG-40", "Kestrelmoor supplies KG-40 glycol concentrate,", [
                "Which glycol concentrate should be used in the HX-58?",
                "What is the name of the coolant concentrate Kestrelmoor supplies for the Coldmere?",
                "Which Kestrelmoor glycol product contains the corrosion inhibitors matched to the chiller?",
            ]),
        ],
    },
    {
        "id": "manuals/hx-58/installation.md",
        "title": "HX-58 Coldmere: Installation and Commissioning",
        "body": """\
Document MAN-HX58-02 · For Kestrelmoor field engineers and certified partners

## Before delivery

Confirm with the customer that the installation site is ready. The HX-58 is heavy and air-cooled, so both the floor and the airflow matter. Ask the customer for a photo of the site and the distance from the delivery point, and check that doors on the route are at least 800 mm wide.

## Site requirements

- Ambient temperature between 5 °C and 35 °C. Performance falls above 30 °C.
- Leave at least 800 mm of free space in front of the air outlet on the rear of the unit and 500 mm on each side.
- The floor must be level within 2° and able to carry the filled unit, about 210 kg.
- A 400 V three-phase supply with a 16 A protective device and a lockable isolator within sight of the unit.

If the chiller will be installed in an unheated building or outdoors under cover, where the ambient temperature may fall below 5 °C when the unit is off, the coolant must be the winter mix described in the maintenance document.

## After transport

Refrigeration oil can move into the compressor pipework when the unit is tilted during transport. After delivery, wait 24 hours with the unit upright before switching on the power. Starting earlier can damage the compressor and is not covered by the warranty.

## Commissioning

Commissioning is done in this order:

1. Connect the process hoses and check that all clamps are tight.
2. Fill the reservoir with the correct coolant mixture to the upper mark.
3. Bleed the pump through the vent screw until coolant appears without bubbles.
4. Switch on the isolator and check the phase sequence; the controller shows alarm A-16 if it is wrong.
5. Run the pump alone for 10 minutes and top up the reservoir as air leaves the circuit.
6. Enter the setpoint and start cooling.

The short form printed on the commissioning card is: connect hoses, fill, bleed, power on, check phases, run pump, set setpoint.

## Handover

Record the serial number, coolant mixture and setpoint on commissioning form CM-58 and sign it together with the customer. Upload the form to Siskin within two working days so that the warranty starts from the commissioning date rather than the delivery date.

## Training the customer

Show the operator how to read the display, how to top up the reservoir and what to do for the most common alarms. Leave the printed quick guide attached to the side panel.
""",
        "facts": [
            ("numeric", "24 hours", "After delivery, wait 24 hours with the unit upright before switching on the power.", [
                "How long must the HX-58 stand upright after delivery before it is powered on?",
                "After transporting a Coldmere chiller, how many hours should you wait before switching it on?",
                "What waiting time after delivery protects the HX-58 compressor from oil problems?",
            ]),
            ("procedure", "connect hoses, fill, bleed, power on, check phases, run pump, set setpoint", "The short form printed on the commissioning card is: connect hoses, fill, bleed, power on, check phases, run pump, set setpoint.", [
                "What is the commissioning sequence for an HX-58 chiller?",
                "In which order are the steps done when starting up a newly installed Coldmere?",
                "Summarise the steps a field engineer follows to commission the HX-58.",
            ]),
            ("name", "CM-58", "Record the serial number, coolant mixture and setpoint on commissioning form CM-58", [
                "Which form records the commissioning of an HX-58?",
                "On what form does the engineer note the coolant mixture and setpoint at handover?",
                "What is the commissioning form number for the Coldmere chiller?",
            ]),
        ],
    },
]

MANUAL_DOCS += [
    {
        "id": "manuals/hx-58/alarms.txt",
        "title": "HX-58 Coldmere: Alarm Reference",
        "body": """\
Document MAN-HX58-04. Applies to controller software 5.x.

HOW ALARMS WORK

The HX-58 controller separates warnings from alarms. A warning is shown in amber and the chiller keeps running. An alarm is shown in red; depending on the alarm, the chiller either keeps the pump running or shuts down completely to protect itself. Every alarm closes the volt-free fault relay, which customers often connect to their building management system or to a process interlock.

Alarms reset automatically when the cause is removed, except A-07 and A-11, which must be acknowledged on the display by a supervisor.

ALARM LIST

A-03  Low coolant level.
      The float switch in the reservoir has detected a level below the minimum mark. The compressor stops; the pump keeps running for 2 minutes and then stops. Top up with the correct coolant mixture. Frequent A-03 alarms point to a leak in the process circuit.

A-07  High condenser pressure.
      The refrigerant pressure on the high side is above the safe limit, usually because the condenser cannot get rid of heat. Clean the condenser fins, check that the air outlet clearance is respected and that the room is not above 35 C. The compressor locks out until a supervisor acknowledges the alarm.

A-11  Pump dry-run protection.
      The pump has detected no flow for 30 seconds. This protects the pump seals. Check that process valves are open and the reservoir is full, then acknowledge the alarm. Never run the pump with the reservoir empty.

A-16  Phase sequence error.
      The three-phase supply is connected in the wrong order, so the compressor and pump would turn backwards. An electrician must swap two phases at the isolator. This alarm normally appears only at commissioning or after electrical work on the building.

A-24  Temperature sensor fault.
      The PT100 sensor in the outlet line reads open circuit or short circuit. The chiller shuts down because it cannot control temperature. Contact Customer Support to arrange a replacement sensor.

A-29  High ambient temperature warning.
      The air entering the condenser is above 38 C. The chiller keeps running but may not reach its setpoint. Improve room ventilation.

WHO TO CALL

For A-03, A-11, A-16 and A-29 the customer can usually resolve the cause. For A-07 that repeats after cleaning, and for any A-24, contact Customer Support. Support raises a case in Siskin and, for customers with a Premium service contract, pages the on-call engineer directly when an alarm has stopped a running process.

LOGGING

The controller keeps the last 500 alarm events with date, time and the values of the main sensors at the moment of the alarm. Exporting this log to a USB stick before calling support saves a great deal of time.
""",
        "facts": [
            ("name", "A-07", "A-07  High condenser pressure.", [
                "Which HX-58 alarm code indicates high condenser pressure?",
                "What alarm does the Coldmere raise when its condenser can't reject heat and the refrigerant pressure climbs?",
                "If dirty condenser fins cause an over-pressure trip, which alarm code will the chiller show?",
            ]),
            ("name", "A-16", "A-16  Phase sequence error.", [
                "What alarm code does the HX-58 show when the three-phase supply is wired in the wrong order?",
                "Which Coldmere alarm points to a phase sequence problem?",
                "After building electrical work the chiller would run backwards; which alarm does it display?",
            ]),
            ("numeric", "30 seconds", "The pump has detected no flow for 30 seconds.", [
                "How long without flow before the HX-58 pump dry-run protection trips?",
                "After how many seconds of no flow does alarm A-11 appear?",
                "What no-flow duration triggers the Coldmere's dry-run alarm?",
            ]),
        ],
    },
    {
        "id": "manuals/hx-58/maintenance.md",
        "title": "HX-58 Coldmere: Maintenance and Spare Parts",
        "body": """\
Document MAN-HX58-06 · Revision E

## Why maintenance matters

An air-cooled chiller is only as good as its condenser and its coolant. Dust on the condenser fins raises refrigerant pressure, costs energy and eventually triggers alarm A-07. Old coolant loses its corrosion inhibitors and attacks the pump and the evaporator. The schedule below keeps an HX-58 running reliably for well over ten years.

## Maintenance schedule

| Task | Interval | Who |
|---|---|---|
| Check coolant level and look for leaks | Weekly | Operator |
| Clean condenser fins with a soft brush or low-pressure air | Every 3 months | Operator |
| Check coolant concentration with a refractometer | Every 6 months | Operator or engineer |
| Replace the coolant completely | Every 24 months | Field engineer |
| Check refrigerant circuit and electrical connections | Every 12 months | Field engineer |

In dusty environments such as workshops, the condenser may need cleaning monthly. The controller counts operating hours and can show a reminder when cleaning is due.

## Coolant mixtures

Mix KG-40 concentrate with deionised water. The standard mix is 30 % KG-40 by volume, suitable for setpoints down to −5 °C in heated buildings. The winter mix is 40 % KG-40 by volume and must be used for setpoints below −5 °C and for any installation in an unheated building or outdoors under cover. Never use pure water, even for warm setpoints, because the inhibitors in KG-40 protect the metal parts.

## Replacing the coolant

1. Stop the chiller and isolate it at the lockable isolator.
2. Drain the reservoir and the process circuit through the drain valve.
3. Flush the circuit once with deionised water.
4. Refill with fresh mixture and bleed the pump.
5. Record the date and mixture on the label inside the service door.

Short version for the service door label: isolate, drain, flush, refill and bleed, record.

## Spare parts

The most frequently ordered spare parts are listed below with their current list prices. Prices change each January.

| Part | Part number | List price |
|---|---|---|
| Condenser fan assembly | HX-FN58 | €640 |
| Circulation pump | HX-PM58 | €1,180 |
| Compressor | HX-CP58 | €3,900 |
| Outlet PT100 sensor | HX-TS58 | €95 |

Compressor replacement must be carried out by a refrigeration-certified field engineer, because the refrigerant circuit must be opened and recharged.

## Records

Customers with a service contract receive a visit report in Siskin after every engineer visit. Customers without a contract should keep their own log, as warranty claims require evidence that the coolant was changed on time.
""",
        "facts": [
            ("numeric", "every 24 months", "| Replace the coolant completely | Every 24 months | Field engineer |", [
                "How often must the HX-58 coolant be completely replaced?",
                "What is the coolant change interval for the Coldmere chiller?",
                "After how long should a field engineer drain and refill the chiller's glycol mixture?",
            ]),
            ("procedure", "isolate, drain, flush, refill and bleed, record", "Short version for the service door label: isolate, drain, flush, refill and bleed, record.", [
                "What are the steps for replacing the coolant in an HX-58, in order?",
                "How is a Coldmere coolant change carried out, step by step?",
                "In what sequence does an engineer renew the chiller's glycol mixture?",
            ]),
            ("numeric", "30 %", "The standard mix is 30 % KG-40 by volume,", [
                "What concentration of KG-40 is used in the standard HX-58 coolant mix?",
                "For a chiller in a heated building with a setpoint above −5 °C, what glycol percentage is used?",
                "What is the proportion of KG-40 in the Coldmere's standard coolant?",
            ]),
            ("name", "HX-CP58", "| Compressor | HX-CP58 | €3,900 |", [
                "What is the part number of the HX-58 compressor?",
                "Which spare part number should be ordered for a replacement Coldmere compressor?",
                "Give the part code for the chiller's compressor.",
            ]),
        ],
    },
    {
        "id": "manuals/pd-9/overview.html",
        "title": "PD-9 Fennick Peristaltic Dosing Pump: Product Overview",
        "body": """\
Document MAN-PD9-01 · Product owner: Fluidics team · Revision C

## Introduction

The PD-9 Fennick is a peristaltic dosing pump for chemical dosing in water treatment, food processing and pilot plants. The fluid touches only the tube, so there are no valves or seals to clog or corrode, and tube changes take minutes. The name comes from the nine-roller pump head, which gives a smoother flow than three- or four-roller heads. The PD-9 is owned by the Fluidics team, which is responsible for its design, firmware and engineering changes.

## Key specifications

| Parameter | Value |
|---|---|
| Flow range | 0.02 to 640 mL/min, depending on the tube set |
| Dosing accuracy | ±1 % of set flow |
| Pump head | 9 rollers, spring-loaded tube clamps |
| Maximum discharge pressure | 4 bar |
| Enclosure | IP66 |
| Control inputs | 4–20 mA, pulse, Modbus RTU |
| Supply | 100–240 V AC, 60 W |
| Weight | 6.3 kg |

## Tube sets

The PD-9 uses three colour-coded tube sets. Choose the smallest tube set that covers your required flow, because smaller tubes give better accuracy at low flow.

| Tube set | Colour | Flow range |
|---|---|---|
| TS-16 | Blue | up to 60 mL/min |
| TS-32 | Green | above 60 up to 300 mL/min |
| TS-80 | Orange | above 300 up to 640 mL/min |

Flows above 300 mL/min therefore always need the TS-80 tube set. Tube replacement intervals differ between sets; see the tube replacement document.

## Control and monitoring

The pump can run in manual mode, follow a 4–20 mA signal from a process controller, or dose a fixed volume per incoming pulse. A leak sensor in the pump head stops the pump if liquid is detected inside the head, which usually means the tube has burst.

## Installation notes

- Mount the pump on a wall or a bench with the pump head at or below the level of the supply tank where possible.
- Keep suction lines short and avoid sharp bends.
- Fit a pressure relief valve in the discharge line if a closed valve downstream could block the flow.

## Support

The Customer Support desk answers product questions and orders spare tube sets. The Fluidics team handles technical escalations.
""",
        "facts": [
            ("numeric", "0.02 to 640 mL/min", "| Flow range | 0.02 to 640 mL/min, depending on the tube set |", [
                "What flow range does the PD-9 pump cover?",
                "What are the lowest and highest flows the Fennick can dose?",
                "Across all tube sets, what is the PD-9's flow capability?",
            ]),
            ("name", "IP66", "| Enclosure | IP66 |", [
                "What ingress protection rating does the PD-9 enclosure have?",
                "What is the IP rating of the Fennick dosing pump?",
                "How well is the PD-9 housing sealed against dust and water, as an IP code?",
            ]),
            ("name", "Green", "| TS-32 | Green | above 60 up to 300 mL/min |", [
                "What colour is the PD-9's TS-32 tube set?",
                "Which colour code identifies the mid-range Fennick tube set?",
                "If I need a flow of 150 mL/min on the PD-9, what colour tube set should I look for?",
            ]),
        ],
    },
]

MANUAL_DOCS += [
    {
        "id": "manuals/pd-9/tube-replacement.md",
        "title": "PD-9 Fennick: Tube Replacement",
        "body": """\
Document MAN-PD9-03 · Revision B

## Why tubes wear out

In a peristaltic pump the rollers squeeze the tube hundreds of times a minute. Over time the tube material loses its elasticity, the flow rate drops and eventually the tube splits. Replacing tubes on a schedule keeps dosing accurate and avoids leaks in the pump head.

## Replacement intervals

Replace tube sets after the following running hours, or sooner if you see cracks, flattening or a drop in flow during calibration:

- TS-16 (blue): every 600 running hours.
- TS-32 (green): every 400 running hours.
- TS-80 (orange): every 250 running hours, because the larger tube is squeezed harder.

The PD-9 counts running hours per tube set and shows a TUBE reminder at 90 % of the interval. Aggressive chemicals, such as concentrated acids and solvents, may shorten tube life considerably; your Kestrelmoor contact can advise on resistant tube materials.

## What you need

- A new tube set of the correct size, still in its sealed bag.
- Chemical-resistant gloves and safety glasses.
- A small container and cloth to catch any liquid left in the tube.

## Procedure

1. Stop the pump and switch it to STANDBY so that a remote signal cannot start it.
2. Close the isolation valves on the suction and discharge lines.
3. Open the tube door. The pump detects the open door and shows P-04; this is expected.
4. Unclip the two tube clamps and lift the old tube out of the head, working from the left clamp to the right.
5. Wipe the rollers and the track with a dry cloth and check for chemical residue.
6. Place the new tube in the track, right clamp first, making sure it is not twisted.
7. Close the tube door, open the valves and run the pump at 50 % speed for one minute to check for leaks.
8. Reset the tube hour counter in the Service menu and recalibrate the flow.

In short: standby, close valves, open door, remove old tube, clean rollers, fit new tube, leak test, reset counter.

## Calibration after a tube change

New tubes have slightly different dimensions from old ones, so the flow must be calibrated. Use the calibration cylinder function: the pump doses for 60 seconds into a measuring cylinder, you enter the measured volume, and the pump corrects its flow factor.

## Disposal

Used tubes may contain chemical residues. Rinse them if possible and dispose of them according to the safety data sheet of the chemical being pumped.
""",
        "facts": [
            ("numeric", "every 400 running hours", "TS-32 (green): every 400 running hours.", [
                "What is the replacement interval of the TS-32 tube set?",
                "How many running hours does a green PD-9 tube last before it should be changed?",
                "When must the mid-size Fennick tube set be swapped out, in running hours?",
            ]),
            ("procedure", "standby, close valves, open door, remove old tube, clean rollers, fit new tube, leak test, reset counter", "In short: standby, close valves, open door, remove old tube, clean rollers, fit new tube, leak test, reset counter.", [
                "What are the steps for replacing a tube on the PD-9 pump, in order?",
                "How do I change the tube set on the Fennick, step by step?",
                "In what sequence is a PD-9 tube replacement performed?",
            ]),
        ],
    },
    {
        "id": "manuals/pd-9/troubleshooting.md",
        "title": "PD-9 Fennick: Status Codes and Troubleshooting",
        "body": """\
Document MAN-PD9-05 · Applies to firmware 1.6 and later

## Status codes

The PD-9 shows status codes as the letter P followed by two digits. Some codes are simply information; others stop the pump. The status LED is amber for information and red for codes that stop dosing.

| Code | Meaning | Pump stops? |
|---|---|---|
| P-04 | Tube door open | Yes |
| P-08 | Leak detected inside the pump head | Yes |
| P-12 | Motor stall or overload | Yes |
| P-19 | Analogue control signal lost (below 3.6 mA) | Configurable |
| P-22 | TUBE reminder: tube set near end of life | No |
| P-30 | Supply voltage out of range | Yes |

## Working through common problems

**P-08 Leak detected.** A leak almost always means the tube has split. Stop the process, put on protective equipment suitable for the pumped chemical, and replace the tube. Then clean and dry the leak sensor at the bottom of the pump head, because the code will not clear while the sensor is wet. If chemical has entered the head, inspect the rollers for corrosion.

**P-12 Motor stall.** Usually caused by a blocked discharge line or a closed valve. Check valves and look for a kinked tube before restarting. If the code returns without an obvious cause, the gearbox may be worn.

**P-19 Signal lost.** The pump has seen less than 3.6 mA on the 4–20 mA input. By default the pump stops, which is the safe choice for most dosing applications. It can be configured instead to continue at the last valid flow, which some water treatment plants prefer. Check the wiring and the controller output.

**Flow lower than expected.** Check the tube hours first; a tired tube is the usual cause. Then check that the suction line is not drawing air and that the tank is not empty. Recalibrate after any change.

**Pulsation in the discharge line.** Although the nine-roller head is smooth, very long discharge lines can still show pulsation. Fit a pulsation damper close to the pump.

## Resetting after a stop

After you have removed the cause, press and hold the OK key for 3 seconds to acknowledge the code. The pump then returns to the operating mode it was in before the stop, unless it was stopped by P-30, in which case it waits for a manual start.

## Contacting support

If a code cannot be cleared, note the code, the firmware version and the tube hours, and contact Customer Support. They will escalate to the Fluidics team when the issue looks like a product fault rather than an installation problem.
""",
        "facts": [
            ("name", "P-08", "| P-08 | Leak detected inside the pump head | Yes |", [
                "Which PD-9 code means a leak has been detected in the pump head?",
                "What status code does the Fennick show when its tube has split and liquid is inside the head?",
                "If the PD-9 leak sensor gets wet, which code is displayed?",
            ]),
            ("numeric", "3.6 mA", "| P-19 | Analogue control signal lost (below 3.6 mA) | Configurable |", [
                "Below what current does the PD-9 consider its 4–20 mA control signal lost?",
                "What input current threshold triggers code P-19?",
                "At what milliamp level does the Fennick decide the analogue signal has failed?",
            ]),
        ],
    },
    {
        "id": "manuals/warranty.md",
        "title": "Product Warranty Terms",
        "body": """\
Document MAN-GEN-02 · Owner: Quality · Quality and Returns Manager: Priya Vanterpool

## What the warranty covers

Kestrelmoor warrants that each instrument is free from defects in materials and workmanship when used and maintained according to its manual. During the warranty period we will repair or, at our choice, replace any defective part at no charge for parts and labour. Repairs are normally carried out on site by a field engineer; some faults require the unit to be returned under the RMA procedure.

## Warranty periods

The warranty period starts on the date of commissioning recorded by the engineer, or on the delivery date if the customer commissions the instrument themselves.

| Product | Standard warranty |
|---|---|
| KCI-740 Thermavault CO₂ incubator | 24 months |
| RZ-3100 Orbis refrigerated centrifuge | 24 months, rotors 12 months |
| HX-58 Coldmere recirculating chiller | 36 months |
| PD-9 Fennick peristaltic dosing pump | 18 months |

Rotors for the RZ-3100 carry a shorter warranty because their life depends so strongly on how they are used and cleaned.

## CarePlus extended warranty

CarePlus adds 24 months to the standard warranty of any instrument. It can be bought only within 90 days of delivery, and it requires the instrument to be maintained by Kestrelmoor or a certified partner for the whole extended period. CarePlus also includes one preventive maintenance visit per year.

## What is not covered

- Consumables and wear parts, such as PD-9 tube sets, HEPA filters, door gaskets and coolant.
- Damage caused by incorrect installation, transport by the customer, or use outside the specifications.
- Damage caused by prohibited cleaning agents, such as chlorine bleach on rotors or stainless steel.
- Instruments whose serial number label has been removed or altered.

## Making a claim

Contact Customer Support with the serial number, a description of the fault and, where available, the instrument's error log. Support will decide whether an engineer visit or a return is needed. Warranty claims must be raised within the warranty period; a fault reported on the last day is still covered even if the repair happens later.

## Repairs after the warranty

After the warranty has ended, repairs are charged at the current service rates. Parts replaced during a paid repair carry their own parts warranty of 26 weeks.

## Questions

Questions about the scope of the warranty go to the Quality and Returns Manager, Priya Vanterpool.
""",
        "facts": [
            ("numeric", "36 months", "| HX-58 Coldmere recirculating chiller | 36 months |", [
                "What is the standard warranty period of the HX-58 chiller?",
                "How long is the Coldmere covered under the standard warranty?",
                "For how many months is a new HX-58 under warranty without extensions?",
            ]),
            ("numeric", "within 90 days of delivery", "It can be bought only within 90 days of delivery,", [
                "By when must CarePlus extended warranty be purchased?",
                "What is the deadline for buying the CarePlus extension after an instrument is delivered?",
                "How long after delivery can a customer still add CarePlus?",
            ]),
            ("name", "Priya Vanterpool", "Questions about the scope of the warranty go to the Quality and Returns Manager, Priya Vanterpool.", [
                "Who is the Quality and Returns Manager?",
                "To whom should questions about what the product warranty covers be sent?",
                "Which named person answers queries on the scope of Kestrelmoor's warranty?",
            ]),
        ],
    },
]

PROCEDURE_DOCS = [
    {
        "id": "procedures/incident-response.md",
        "title": "Information Security Incident Response Procedure",
        "body": """\
Procedure code IT-P02 · Owner: Information Security · Head of Information Security: Zoë Ångström

## What counts as an incident

A security incident is any event that threatens the confidentiality, integrity or availability of Kestrelmoor information or systems. Examples include a lost laptop, malware on a PC, an email with customer data sent to the wrong person, a suspicious login, or a firmware build server behaving oddly. If in doubt, report it: a false alarm costs minutes, a missed incident can cost months.

## Reporting

Report any suspected incident to the security hotline on extension 5150, which is answered 24 hours a day. You must report within 30 minutes of noticing the problem. Outside office hours the call is forwarded to the on-call security analyst. Do not try to investigate on your own, and do not discuss the incident outside the response team.

## First response

Whoever discovers the incident, and the analyst who takes the call, follow four steps in this order: isolate, notify, preserve, record.

1. **Isolate** the affected device or account, for example by disconnecting the network cable or switching off Wi-Fi. Do not switch the device off, because that destroys evidence in memory.
2. **Notify** the security hotline, if you have not already, and your line manager.
3. **Preserve** evidence: keep emails, screenshots and the device itself unchanged.
4. **Record** what you saw and did, with times, in the incident form that the analyst sends you.

## Severity levels

| Level | Description | Examples |
|---|---|---|
| SEV-1 | Critical: major business impact or any incident involving Sealed data | Ransomware; loss of firmware signing keys; salary data exposed |
| SEV-2 | High: significant impact on a team or on Restricted data | Customer records sent to the wrong customer |
| SEV-3 | Moderate: limited impact, contained quickly | Malware blocked on one laptop |
| SEV-4 | Low: no real impact | Phishing email reported and deleted |

For SEV-1 incidents the Head of Information Security acts as incident commander and informs the executive team within one hour. The Data Protection Officer is involved in every SEV-1 and SEV-2 incident, because regulators may have to be notified.

## Closing an incident

An incident is closed when the threat has been removed, systems are restored and the record is complete. Every SEV-1 and SEV-2 incident gets a post-incident review within 15 working days. The review is blameless: its aim is to improve systems and processes, not to find someone to blame.

## Practice

Information Security runs a tabletop exercise twice a year with the executive team and the on-call analysts.
""",
        "facts": [
            ("name", "extension 5150", "Report any suspected incident to the security hotline on extension 5150,", [
                "Which extension is the security hotline?",
                "What number should I call internally to report a suspected security incident?",
                "If I notice malware on my PC, which extension do I ring?",
            ]),
            ("numeric", "within 30 minutes", "You must report within 30 minutes of noticing the problem.", [
                "How soon after noticing it must a suspected security incident be reported?",
                "What is the reporting deadline for security incidents?",
                "How many minutes do I have to report a possible breach once I've spotted it?",
            ]),
            ("procedure", "isolate, notify, preserve, record", "follow four steps in this order: isolate, notify, preserve, record.", [
                "What are the four first-response steps for a security incident, in order?",
                "When someone discovers a security incident, what sequence of actions do they follow?",
                "List the initial incident response steps in the order the procedure requires.",
            ]),
            ("numeric", "within 15 working days", "Every SEV-1 and SEV-2 incident gets a post-incident review within 15 working days.", [
                "Within how many working days must a post-incident review be held for a SEV-1 or SEV-2 incident?",
                "How soon after a high-severity security incident does the blameless review take place?",
                "What is the deadline for the post-incident review of serious incidents?",
            ]),
        ],
    },
    {
        "id": "procedures/onboarding.md",
        "title": "New Employee Onboarding Procedure",
        "body": """\
Procedure code HR-P01 · Owner: People Team · Onboarding Coordinator: Lucía Ferreira-Gault

## Purpose

A good first week makes a lasting difference. This procedure describes what happens before and during a new employee's first days, and who is responsible for each part. It is written for hiring managers and for the People Team; new starters receive a friendlier welcome pack that covers the same ground.

## Before the first day

- The hiring manager confirms the start date in Dunlin at least 15 working days in advance, so that IT can prepare equipment.
- IT prepares the laptop, phone and accounts, and a KM-Key where the role needs one.
- The Onboarding Coordinator, Lucía Ferreira-Gault, assigns a buddy from a different team and sends the welcome pack one week before the start date.

## The first day

New starters arrive at 08:45 at the main reception in Building A, where the Onboarding Coordinator meets them. The first day follows this order:

1. Reception: photo taken for the access badge and badge issued.
2. IT kit handover in the Rowan Room, including sign-in and MFA set-up.
3. Health and safety induction with Facilities, including a walk to Assembly Point C.
4. Lunch with the buddy.
5. Afternoon with the line manager to agree first-month objectives.

The onboarding checklist summarises this as: badge, IT kit, safety induction, lunch with buddy, meet manager.

## The first weeks

All new employees must complete the online security awareness course within their first 5 working days. Access to Restricted systems is granted only once the course is recorded as complete. Employees working in laboratories or production also complete a practical safety module with their supervisor during the first two weeks.

The buddy meets the new starter at least weekly during the first month. Buddies are not managers; they help with the unwritten things, such as where to get good coffee and who knows what.

## Probation

The probation period is 6 months. The line manager holds a formal mid-probation review at 3 months and records it in Dunlin. If there are concerns, the manager must raise them at that review, not for the first time at the end of probation. Probation can be extended once, by up to 3 months.

## Feedback

After 60 days, new starters receive a short survey about their onboarding. The People Team reviews the results every quarter and updates this procedure when the same issue comes up more than once.
""",
        "facts": [
            ("date", "08:45", "New starters arrive at 08:45 at the main reception in Building A,", [
                "At what time should new starters arrive on their first day?",
                "What time does a new employee need to be at reception on day one?",
                "When does the first day begin for someone joining Kestrelmoor?",
            ]),
            ("name", "the Rowan Room", "IT kit handover in the Rowan Room, including sign-in and MFA set-up.", [
                "In which room do new starters receive their IT equipment?",
                "Where does the IT kit handover take place on a new employee's first day?",
                "Which meeting room is used to hand over laptops and set up MFA for new joiners?",
            ]),
            ("procedure", "badge, IT kit, safety induction, lunch with buddy, meet manager", "The onboarding checklist summarises this as: badge, IT kit, safety induction, lunch with buddy, meet manager.", [
                "What is the order of activities on a new employee's first day?",
                "How is day one for a new starter structured, from arrival to the afternoon?",
                "Summarise the first-day onboarding schedule in sequence.",
            ]),
        ],
    },
    {
        "id": "procedures/offboarding.txt",
        "title": "Employee Offboarding Procedure",
        "body": """\
Procedure code HR-P03. Owner: People Team, with IT and Facilities.

PURPOSE

When someone leaves Kestrelmoor, we want the goodbye to be respectful and the handover to be complete. We also need to make sure that access to buildings, systems and customer data ends at the right moment. This procedure sets out who does what. The steps in order are: notify, hand over, return equipment, remove access, exit conversation, final pay.

STEP 1: LEAVER NOTIFICATION

As soon as a resignation is accepted or an end date is agreed, the line manager raises a leaver request in Dunlin. This must be done at least 2 weeks before the last working day, so that IT, Facilities and Payroll can plan. In the case of a dismissal, the People Team raises the request and IT is told by phone.

STEP 2: HANDOVER

The leaver and the manager agree a handover plan covering open customer cases in Siskin, documents stored in personal folders, recurring meetings and any systems for which the leaver is a named owner, such as service accounts. Service account ownership must be transferred before the last day; otherwise Information Security disables the account.

STEP 3: RETURNING EQUIPMENT

On the last working day the leaver returns the laptop, phone, KM-Key, access badge and fuel card (if any) to the IT desk in the Rowan Room. Field engineers return their van and tools to the Lisker Road Service Centre, where the Field Service Supervisor checks the inventory. Missing equipment is listed on the leaver form and may be deducted from final pay as set out in the employment contract.

STEP 4: ACCESS REMOVAL

All accounts are disabled at 17:30 on the last working day, unless the People Team has asked IT for a different time. Building access badges stop working at the same moment. The leaver's mailbox is converted to a shared mailbox that the manager can read for 60 days, after which it is deleted under the normal retention rules.

STEP 5: EXIT CONVERSATION

The People Team offers every leaver an exit conversation. It is voluntary and confidential, and themes are reported anonymously to the leadership team twice a year. Many of our improvements to onboarding and to the hybrid working policy came from exit conversations.

STEP 6: FINAL PAY

Final salary, including payment for accrued but untaken leave, is made on the next normal payday after the last working day. The P45-equivalent tax document is sent by post within two weeks.

AFTER LEAVING

Former employees remain bound by the confidentiality terms of their contract. If a former employee contacts you asking for company information, refer them to the People Team.
""",
        "facts": [
            ("procedure", "notify, hand over, return equipment, remove access, exit conversation, final pay", "The steps in order are: notify, hand over, return equipment, remove access, exit conversation, final pay.", [
                "What are the stages of offboarding a leaver, in order?",
                "When an employee leaves, what sequence of steps does the offboarding procedure follow?",
                "List the offboarding steps from notification to final pay.",
            ]),
            ("numeric", "at least 2 weeks", "This must be done at least 2 weeks before the last working day,", [
                "How far ahead of the last working day must a manager raise the leaver request?",
                "What notice does IT and Payroll need, via Dunlin, before someone's final day?",
                "When must a leaver request be submitted relative to the leaving date?",
            ]),
            ("date", "17:30 on the last working day", "All accounts are disabled at 17:30 on the last working day,", [
                "When are a leaver's accounts disabled?",
                "At what time do a departing employee's system accounts and badge stop working?",
                "On the final day, when does a leaver lose access to company systems?",
            ]),
        ],
    },
]

PROCEDURE_DOCS += [
    {
        "id": "procedures/rma-returns.md",
        "title": "Returns and RMA Procedure",
        "body": """\
Procedure code QA-P04 · Owner: Quality · Quality and Returns Manager: Priya Vanterpool

## When a return is needed

Most faults are fixed on site by a field engineer. A return is needed when a repair requires workshop equipment, when a unit is replaced under warranty, or when a customer sends back an instrument at the end of a loan or rental. Every return needs a Return Material Authorisation (RMA) number issued in advance. Parcels that arrive without an RMA number are refused at goods-in.

## RMA numbers

Customer Support issues RMA numbers in Siskin after checking the serial number and the fault description. The RMA number format is RMA-YY-NNNNN, where YY is the two-digit year and NNNNN a running number. The RMA number must appear on the outside of the parcel and on every document inside it.

An RMA number is valid for 21 days. If the goods have not arrived at the Lisker Road Service Centre within 21 days of issue, the number expires and a new one must be requested.

## Decontamination

Our engineers must be able to open returned instruments safely. Every instrument that has been used with biological, chemical or radioactive material must be decontaminated before shipment, and every return must include a signed decontamination declaration on form QF-112, even if the instrument was never used with hazardous material.

The QF-112 form is fixed to the outside of the packaging in a clear document pouch so that goods-in can read it before opening the parcel. Units arriving without a valid QF-112 are quarantined unopened, and a handling fee of €180 is charged for the extra cleaning and checks.

## Steps for the customer

1. Request an RMA number from Customer Support.
2. Decontaminate the instrument using the method in its manual; for the KCI-740 this is the ThermaClean cycle.
3. Complete and sign form QF-112.
4. Pack the instrument, preferably in its original packaging, with the rotor removed from centrifuges.
5. Ship to the Lisker Road Service Centre with the RMA number on the label.

Customer Support's quick card puts it as: request RMA, decontaminate, sign QF-112, pack, ship.

## At Kestrelmoor

Goods-in checks the RMA number and the QF-112, then books the unit into the repair workshop. Our target is to repair and ship back within 12 working days of receipt. If the repair is not covered by warranty, the customer receives a quotation first and work starts only after it is accepted.

## Credit returns

Unused products returned for credit must be in resalable condition and returned within the 21-day validity of the RMA. A restocking fee of 15 % applies unless the return was our mistake.

## Escalations

Disputes about returns, fees or warranty decisions are escalated to the Quality and Returns Manager.
""",
        "facts": [
            ("name", "RMA-YY-NNNNN", "The RMA number format is RMA-YY-NNNNN,", [
                "What format do Kestrelmoor RMA numbers follow?",
                "How is a Return Material Authorisation number structured?",
                "What pattern should I expect for the RMA number Customer Support gives me?",
            ]),
            ("numeric", "21 days", "An RMA number is valid for 21 days.", [
                "How long does an RMA number remain valid?",
                "Within how many days of issue must returned goods reach the service centre?",
                "After how many days does an unused RMA number expire?",
            ]),
            ("numeric", "€180", "a handling fee of €180 is charged for the extra cleaning and checks.", [
                "What fee is charged when a returned unit arrives without a valid QF-112?",
                "How much does it cost the customer if a return is sent without a decontamination declaration?",
                "What is the handling charge for returns quarantined because the QF-112 is missing?",
            ]),
            ("procedure", "request RMA, decontaminate, sign QF-112, pack, ship", "Customer Support's quick card puts it as: request RMA, decontaminate, sign QF-112, pack, ship.", [
                "What steps must a customer follow to return an instrument, in order?",
                "How does a customer send back equipment for repair, step by step?",
                "In what sequence should a customer prepare and send a return to Kestrelmoor?",
            ]),
        ],
    },
    {
        "id": "procedures/escalation.md",
        "title": "Customer Issue Escalation Procedure",
        "body": """\
Procedure code SV-P02 · Owner: Service Operations · Service Operations Manager: Kwabena Thorsby

## Purpose

Customers judge us less by whether problems happen than by how quickly and openly we deal with them. This procedure defines the support tiers, the response times we promise and when an issue must move up a level. It applies to all customer cases recorded in Siskin.

## Support tiers

- **Tier 1, Customer Support desk.** Takes calls, emails and portal requests; resolves usage questions, issues RMA numbers and orders parts.
- **Tier 2, Technical Specialists and Field Service.** Diagnose faults remotely or on site, carry out repairs and installations.
- **Tier 3, Product team.** The engineering team that owns the product investigates suspected design or firmware faults. The owning team for each product is stated in its product overview.

## Response times

| Contract | First response | Engineer on site, if needed |
|---|---|---|
| No contract | 1 business day | Best effort, typically 5 business days |
| Standard service contract | 4 business hours | 3 business days |
| Premium service contract | 2 business hours | next business day |

A "first response" means a qualified person has contacted the customer about the problem, not an automatic acknowledgement.

## When to escalate

- From Tier 1 to Tier 2 when the problem cannot be resolved by phone within one hour of work, or immediately for any safety-related fault.
- From Tier 2 to Tier 3 when the same fault has occurred on three or more units, or when the specialist suspects a design or firmware issue.
- To the Service Operations Manager, Kwabena Thorsby, when a case has been open for more than 5 business days without an agreed plan, or when a customer asks to speak to a manager.

Any incident in which someone was injured, or could have been, is reported to the Quality and Returns Manager on the same day, whatever tier is handling it.

## Communicating with the customer

The case owner tells the customer at each escalation who now has the case and when they will next hear from us. Promised call-backs are entered as tasks in Siskin so that they are not forgotten when someone is absent.

## Weekly review

Every Monday the Service Operations Manager reviews all cases open for longer than 10 business days with the Tier 2 and Tier 3 leads. Patterns are fed back to the product teams and to the training programme.
""",
        "facts": [
            ("numeric", "2 business hours", "| Premium service contract | 2 business hours | next business day |", [
                "What first-response time is promised to customers with a Premium service contract?",
                "How quickly must someone contact a Premium customer about a new problem?",
                "Under the top-tier contract, what is the guaranteed initial response time?",
            ]),
            ("name", "Kwabena Thorsby", "To the Service Operations Manager, Kwabena Thorsby, when a case has been open for more than 5 business days without an agreed plan,", [
                "Who is the Service Operations Manager?",
                "To whom is a customer case escalated if it has been open more than 5 business days with no plan?",
                "When a customer demands to speak to a manager about a support case, who takes it?",
            ]),
            ("numeric", "three or more units", "From Tier 2 to Tier 3 when the same fault has occurred on three or more units,", [
                "On how many units must the same fault occur before a case goes from Tier 2 to Tier 3?",
                "What repeat-fault count triggers escalation to the product engineering team?",
                "When does a recurring fault get handed to Tier 3, in terms of number of affected units?",
            ]),
        ],
    },
    {
        "id": "procedures/on-call.md",
        "title": "Field Service On-Call Procedure",
        "body": """\
Procedure code SV-P05 · Owner: Service Operations · On-call coordinator: Mireille Okonkwo-Hart

## Scope

Customers with Premium service contracts, and several hospital laboratories with critical incubators, need help outside business hours. The on-call rota makes sure that a qualified field engineer is always reachable. This procedure describes how the rota works, what is expected of the engineer on call and how on-call time is paid.

## The rota

The rota runs in weeks from Monday to Monday. The on-call coordinator, Mireille Okonkwo-Hart, publishes it at least six weeks ahead. No engineer should be on call for more than one week in four, except by their own choice. Swaps are allowed if both engineers agree and the coordinator is told before the swap starts.

The weekly handover takes place every Monday at 09:00 in the Alder Room at the Lisker Road Service Centre, or by video call for engineers based elsewhere. The outgoing engineer explains open cases, parts on order and any customer expecting a call.

## Responding to a page

Pages are sent by Customer Support's out-of-hours service through the on-call app.

- Acknowledge every page within 10 minutes.
- If the primary engineer has not acknowledged within 10 minutes, the page goes to the secondary engineer.
- If neither has acknowledged within 25 minutes, the coordinator is called.

After acknowledging, call the customer, assess whether the problem can be solved remotely and agree the next step. Record every call-out in Siskin before the end of the following working day.

## Safety and rest

Engineers must not drive when they are too tired to do so safely; a taxi can be used instead and claimed through Linnet. If you have worked after midnight on a call-out, do not start normal work the next day before 11:00. Tell your supervisor so that visits can be moved.

## Pay

On-call engineers receive an allowance of €210 for each week on call, whether or not they are paged. In addition, each call-out that requires more than 30 minutes of work, remote or on site, is paid at €45 plus overtime for the hours worked. Allowances are entered automatically from the rota; call-out payments require the Siskin record.

## Equipment

The on-call engineer takes the on-call van, which carries a stock of the most common spare parts for all four product families, including KCI-740 door gaskets, RZ-3100 lid latches, HX-58 temperature sensors and PD-9 tube sets. Used parts must be reported at the handover so that the van can be restocked.
""",
        "facts": [
            ("date", "every Monday at 09:00", "The weekly handover takes place every Monday at 09:00 in the Alder Room", [
                "When does the weekly on-call handover happen?",
                "On what day and at what time do outgoing and incoming on-call engineers hand over?",
                "What is the fixed slot for the on-call rota handover meeting?",
            ]),
            ("numeric", "within 10 minutes", "Acknowledge every page within 10 minutes.", [
                "How quickly must an on-call engineer acknowledge a page?",
                "What is the acknowledgement time limit for out-of-hours pages?",
                "Once paged, how many minutes does the primary on-call engineer have to respond in the app?",
            ]),
            ("name", "Mireille Okonkwo-Hart", "On-call coordinator: Mireille Okonkwo-Hart", [
                "Who coordinates the field service on-call rota?",
                "Who is called if neither on-call engineer acknowledges a page within 25 minutes?",
                "Which person publishes the on-call rota?",
            ]),
        ],
    },
]

PROCEDURE_DOCS += [
    {
        "id": "procedures/field-service-visit.html",
        "title": "Field Service Visit Procedure",
        "body": """\
Procedure code SV-P03 · Owner: Field Service · Field Service Supervisor: Gideon Marchbank

## Purpose

Field engineers are often the only Kestrelmoor people a customer ever meets. This procedure describes how a service visit is run, from arrival to the service report, so that every visit is safe, consistent and properly documented, whoever carries it out.

## Before the visit

- Check the case history and the instrument's service record in Siskin.
- Confirm the appointment with the customer contact the working day before.
- Check that the van carries the parts likely to be needed, and the calibrated tools for the job.
- Read the customer's site rules if this is a first visit.

## On site

Every visit follows the same sequence: sign in, agree scope, lock out, repair, test, customer sign-off.

1. **Sign in** at the customer's reception and complete any site induction they require.
2. **Agree the scope** of the work with the customer contact, including whether samples or cultures must be moved first.
3. **Lock out** the instrument: isolate it electrically and attach a Kestrelmoor lock and tag to the isolator. Never work on an instrument that someone else could switch on.
4. **Repair** or maintain the instrument according to its manual.
5. **Test** the instrument under normal operating conditions and record the results.
6. **Customer sign-off**: walk the customer through what was done and obtain a signature on the tablet.

## Service reports

The service report is completed in the Siskin app and signed by the customer before the engineer leaves the site. The report is emailed to the customer automatically. If the work could not be completed, the report must say what is outstanding and when the engineer will return.

## Tools and calibration

Torque wrenches, temperature probes and tachometers used for service work must be calibrated every 12 months by the Metrology lab. A tool with an expired calibration label must not be used for customer work; swap it at the Lisker Road stores.

## Training and recertification

Field engineers must be recertified on each product family every 2 years. Recertification is a three-day course held at the Varnholm training centre each spring, with a practical assessment on the last day. Engineers book their travel through Tern as soon as the course dates are published.

## Personal safety

Engineers may refuse to carry out work they believe is unsafe. If a customer pressures an engineer to work without proper isolation or protective equipment, the engineer should stop, leave the area and call the Field Service Supervisor, Gideon Marchbank.
""",
        "facts": [
            ("procedure", "sign in, agree scope, lock out, repair, test, customer sign-off", "Every visit follows the same sequence: sign in, agree scope, lock out, repair, test, customer sign-off.", [
                "What sequence of steps does a field engineer follow on a customer site?",
                "How is an on-site service visit run, from arrival to sign-off?",
                "List the on-site stages of a Kestrelmoor service visit in order.",
            ]),
            ("numeric", "every 2 years", "Field engineers must be recertified on each product family every 2 years.", [
                "How often must field engineers be recertified on each product family?",
                "What is the recertification cycle for service engineers?",
                "At what interval do field engineers repeat their product certification?",
            ]),
            ("name", "Gideon Marchbank", "call the Field Service Supervisor, Gideon Marchbank.", [
                "Who is the Field Service Supervisor?",
                "If a customer pressures an engineer to work without isolation, whom should the engineer call?",
                "Which named person supervises Kestrelmoor's field engineers?",
            ]),
        ],
    },
    {
        "id": "procedures/change-management.md",
        "title": "IT Change Management Procedure",
        "body": """\
Procedure code IT-P04 · Owner: IT Operations · Head of IT Operations: Leopold Mwangi-Sterling

## Why we manage changes

Most IT outages are caused by changes: a patch, a configuration tweak, a new firewall rule. Change management does not exist to slow work down. It makes sure that someone has thought about the risk, that the right people know, and that there is a way back if something goes wrong.

## Types of change

- **Standard changes** are low-risk, routine and pre-approved, for example adding a user to a distribution list or replacing a failed disk in a redundant array. The list of standard changes is kept in Plover and reviewed every six months.
- **Normal changes** are everything that is not standard or emergency. They are assessed by the Change Advisory Board (CAB).
- **Emergency changes** are needed to fix or prevent an outage or a security incident and cannot wait for the next CAB.

## The Change Advisory Board

The CAB meets every Thursday at 14:00 in the Hazel Room, and remote participants join by video. Members are the Head of IT Operations, a representative of Information Security, the service owner of any affected system and, for changes affecting production, a representative from the Dunmarrow manufacturing team.

Normal changes must be submitted in Plover by Tuesday at 12:00 to be considered at that week's CAB. Each request must describe the change, the risk, the test carried out, the implementation window and a rollback plan. Requests without a rollback plan are returned without review.

## Emergency changes

An emergency change needs approval from two of the following three people: the Head of IT Operations, the Head of Information Security and the IT duty manager. Approval can be given by phone and recorded afterwards. Every emergency change is reviewed at the next CAB meeting.

## Change freeze

There is a change freeze from 15 December to 5 January each year, when many staff are on leave and the finance year-end jobs run. Only emergency changes are allowed during the freeze.

## After the change

The implementer updates the Plover record with the result. A failed change, or one that needed its rollback plan, is discussed at the next CAB so that lessons can be learned. Changes are implemented preferably in the Tuesday or Wednesday evening maintenance window, between 19:00 and 22:00, when the impact on users is smallest.
""",
        "facts": [
            ("date", "every Thursday at 14:00", "The CAB meets every Thursday at 14:00 in the Hazel Room,", [
                "When does the Change Advisory Board meet?",
                "On which day and at what hour is the weekly CAB held?",
                "What is the regular meeting time of the board that approves normal IT changes?",
            ]),
            ("date", "Tuesday at 12:00", "Normal changes must be submitted in Plover by Tuesday at 12:00", [
                "What is the submission deadline for a normal change to be considered at that week's CAB?",
                "By when must a change request be in Plover to make the weekly change board?",
                "What's the cut-off day and time for submitting normal IT changes?",
            ]),
            ("date", "15 December to 5 January", "There is a change freeze from 15 December to 5 January each year,", [
                "When is the annual IT change freeze?",
                "During which dates are only emergency changes allowed?",
                "What period does the year-end change freeze cover?",
            ]),
        ],
    },
    {
        "id": "procedures/backup-and-restore.txt",
        "title": "Backup and Restore Procedure",
        "body": """\
Procedure code IT-P06. Owner: IT Infrastructure team.

SCOPE

This procedure covers backups of Kestrelmoor's servers, file shares, databases and cloud workloads, including the Siskin customer system, the finance system and the firmware source repositories. Laptops are not backed up individually; files must be saved to the company file shares or the approved cloud storage, which are backed up.

BACKUP SCHEDULE

Nightly backups run at 01:30 every day, including weekends. They are incremental, with a full backup every Sunday. The backup job usually finishes before 04:00; the IT duty engineer checks the result each morning and opens a Plover ticket for any failure.

Backups are kept as follows:

  Daily backups .......... 35 days
  Monthly backups ........ 13 months
  Yearly backups ......... 7 years (finance and quality systems only)

The monthly backup is the one taken on the first Sunday of the month.

WHERE BACKUPS ARE STORED

Backups are written first to the backup appliance in the Building A server room, then copied in encrypted form to the secondary vault at the Lisker Road Service Centre. The two sites are far enough apart that a fire or flood at one will not affect the other. Backups of Sealed data, including the Vault share, are encrypted with a separate key held by Information Security.

RESTORE REQUESTS

If you have deleted or damaged a file, raise a restore request in Plover stating the file path and the approximate date of the version you need. Restores are normally completed within 1 working day. Restores of whole systems are handled as incidents by the IT Infrastructure team.

Requests to restore Sealed data must be approved by the data owner before IT carries them out.

TESTING

A backup is only useful if it can be restored. The IT Infrastructure team carries out a restore test every quarter, restoring a sample of file shares, one database and one complete server to an isolated environment. Results are recorded in Plover and reported to the Head of IT Operations. A failed test is treated as a high-priority incident.

RESPONSIBILITIES

The IT Infrastructure team runs and monitors backups. System owners must tell IT when a new system is introduced so that it can be added to the schedule; a system that IT does not know about is not backed up.
""",
        "facts": [
            ("date", "01:30", "Nightly backups run at 01:30 every day, including weekends.", [
                "At what time do the nightly backups start?",
                "When does the daily backup job begin each night?",
                "What time of night are Kestrelmoor's servers backed up?",
            ]),
            ("numeric", "35 days", "Daily backups .......... 35 days", [
                "How long are daily backups retained?",
                "For how many days can a file be restored from the daily backups?",
                "What is the retention period for the nightly backup copies?",
            ]),
            ("numeric", "every quarter", "The IT Infrastructure team carries out a restore test every quarter,", [
                "How often are backup restore tests carried out?",
                "At what frequency does IT check that backups can actually be restored?",
                "How regularly does the infrastructure team run a test restore?",
            ]),
        ],
    },
]

PROCEDURE_DOCS += [
    {
        "id": "procedures/visitor-access.md",
        "title": "Visitor and Contractor Access Procedure",
        "body": """\
Procedure code FAC-P02 · Owner: Facilities · Facilities Manager: Osric Delahaye

## Purpose

We welcome visitors: customers coming for factory acceptance tests, suppliers, auditors, job candidates and contractors. At the same time, our buildings contain laboratories, production equipment and unreleased products. This procedure keeps visitors safe and protects confidential information without making visits unpleasant.

## Registering a visitor

The host registers every visitor in Plover using the visitor form. Registration must be completed by 16:00 on the working day before the visit, so that reception can print badges and, where needed, prepare a non-disclosure agreement. Visitors who turn up unannounced can be admitted only if their host comes to reception in person.

A host may accompany at most 6 visitors at a time. Larger groups, such as university tours, need a second host and must be agreed with Facilities in advance.

## Arrival

Visitors sign in at the main reception in Building A, read the safety card and receive a badge. The host collects them from reception; visitors must not walk through the site alone.

## Badge colours

- **White badge**: escorted visitor. Must be accompanied by the host at all times.
- **Red badge**: contractor who has completed the site induction and may work unescorted in the areas listed on the permit.
- **Blue badge**: Kestrelmoor employee from another site, such as the Lisker Road Service Centre.

Badges must be worn visibly and returned to reception at the end of the visit. Lost visitor badges are reported to reception immediately.

## Laboratories and production areas

Visitors to the Building C laboratories must sign a non-disclosure agreement before entry, because unreleased products are often on the benches. Visitors must wear the protective equipment required in each area, which the host provides. Photography anywhere on site requires the host's permission, and in Building C it is not allowed at all.

## Contractors

Contractors complete a site induction with Facilities before their first day of work, and again every 12 months. Hot work, work at height and electrical work need a permit to work issued by Facilities. Contractors report to reception each morning and sign out each evening, so that the fire roll-call is accurate.

## Wi-Fi for visitors

Visitors may use the guest Wi-Fi, which is separate from the company network. Reception provides the daily password.

## Leaving

The host walks the visitor back to reception, makes sure the badge is returned and signs them out. A visitor still signed in at 18:00 is followed up by reception with the host.
""",
        "facts": [
            ("date", "16:00 on the working day before the visit", "Registration must be completed by 16:00 on the working day before the visit,", [
                "By when must a visitor be registered in Plover?",
                "What is the deadline for pre-registering guests before they come to site?",
                "If I have a supplier visiting on Friday, by what time on Thursday should I have registered them?",
            ]),
            ("numeric", "6 visitors", "A host may accompany at most 6 visitors at a time.", [
                "How many visitors can one host accompany at a time?",
                "What is the maximum group size a single host may escort around site?",
                "Up to how many guests can I look after alone during a visit?",
            ]),
            ("name", "Red badge", "**Red badge**: contractor who has completed the site induction and may work unescorted", [
                "What badge colour does an inducted contractor working unescorted wear?",
                "Which colour of badge allows a contractor to work without an escort?",
                "How can you recognise a contractor who has done the site induction by their badge?",
            ]),
        ],
    },
    {
        "id": "procedures/calibration-service.md",
        "title": "Customer Calibration Service Procedure",
        "body": """\
Procedure code MT-P01 · Owner: Metrology · Metrology Lab Lead: Ottilie Brannigan-Sato

## About the service

Kestrelmoor's Metrology lab in Building A calibrates temperature, speed and flow for our own instruments and, on request, for instruments from other manufacturers. Calibration can be performed in the lab, when the customer sends a sensor or a small instrument, or on site, which is the usual choice for incubators and chillers. All calibrations are traceable to national standards.

## Requesting a calibration

Customers request calibration through Customer Support or the customer portal. For lab calibrations the item is shipped to the Metrology lab with the calibration request form MC-3 inside the parcel; a decontamination declaration is also required for anything that has been used in a laboratory.

The standard turnaround for lab calibrations is 8 working days from receipt. An express service with a turnaround of 3 working days is available for a surcharge of 40 % on the standard price.

## On-site calibration

On-site calibration is carried out by a field engineer using reference equipment issued by the Metrology lab. For the KCI-740 it covers chamber temperature at three points and CO₂ concentration; for the HX-58 it covers outlet temperature and, optionally, flow.

## Measurement uncertainty

The Metrology lab's best measurement uncertainty for temperature between 0 °C and 60 °C is ±0.05 °C. Each certificate states the uncertainty achieved for the specific calibration, which may be larger than the best value for instruments with poor stability.

## Certificates

Each calibration certificate carries a unique number in the format CAL-followed by six digits, the date of calibration, the results before and after any adjustment, and the uncertainty. Certificates are emailed as signed PDF files and stored in Siskin. Customers on the recall service receive a reminder 30 days before the next calibration is due.

## Adjustments

If an instrument is found outside its specification, the lab records the "as found" result, adjusts the instrument and records the "as left" result. The customer is told in writing if an "as found" result was outside specification, because they may need to review measurements made since the last calibration.

## Quality system

The Metrology lab's procedures and reference standards are audited internally every year. Reference thermometers are recalibrated by an external accredited laboratory every 2 years.
""",
        "facts": [
            ("numeric", "8 working days", "The standard turnaround for lab calibrations is 8 working days from receipt.", [
                "What is the standard turnaround time for a lab calibration?",
                "How many working days does the Metrology lab normally take to calibrate a sent-in item?",
                "If I ship a sensor for calibration, how long until it's done at standard speed?",
            ]),
            ("numeric", "±0.05 °C", "The Metrology lab's best measurement uncertainty for temperature between 0 °C and 60 °C is ±0.05 °C.", [
                "What is the Metrology lab's best temperature measurement uncertainty?",
                "How precise can Kestrelmoor's lab calibrate temperature between 0 and 60 °C?",
                "What is the best uncertainty quoted for temperature calibrations?",
            ]),
            ("name", "Ottilie Brannigan-Sato", "Metrology Lab Lead: Ottilie Brannigan-Sato", [
                "Who leads the Metrology lab?",
                "Which person is responsible for the calibration laboratory?",
                "Who is the owner of the customer calibration service procedure?",
            ]),
        ],
    },
    {
        "id": "procedures/lost-device.md",
        "title": "Lost or Stolen Device Procedure",
        "body": """\
Procedure code IT-P03 · Owner: Information Security

## Scope

This procedure applies to any Kestrelmoor device that is lost or stolen: laptops, phones, tablets used by field engineers, KM-Key hardware tokens, encrypted USB drives and access badges. It also applies to personal phones that are enrolled for company email.

## What to do straight away

Report the loss to the IT Service Desk immediately, by phone if you can, from a colleague's phone or any other phone if yours is missing. Speed matters more than anything else: a device reported quickly can be locked before anyone has a chance to use it.

Tell the Service Desk:

- what was lost and, if you know it, the asset number;
- when and where you last had it;
- whether it was stolen or simply lost;
- what information was on it, and in particular whether it held Restricted or Sealed data.

If the device held Restricted or Sealed data, or if it was stolen, the loss is also a security incident. The Service Desk will pass it to the security hotline, and the Incident Response Procedure applies from that moment.

## What IT does

IT locks the device and revokes its certificates as soon as the report is received. A remote wipe is triggered within 1 hour of the report unless Information Security asks for it to be delayed to help an investigation. Lost KM-Keys are deactivated immediately and you will receive a temporary access code while a replacement is issued.

## Theft

If the device was stolen, report the theft to the police within 48 hours and send the police reference number to the Service Desk. Our insurer needs the reference to process the claim.

## Replacement

A replacement laptop or phone is normally ready for collection within 2 working days. Field engineers can collect replacements at the Lisker Road Service Centre stores. Your files are safe if you saved them to company storage, which is why we ask everyone not to keep work only on the laptop.

## If you find the device again

Tell the Service Desk immediately, but do not switch the device on or try to use it. It must be checked by IT before it can be returned to you.

## No blame

Losing a device is not a disciplinary matter in itself. Failing to report a loss promptly, however, can be.
""",
        "facts": [
            ("numeric", "within 1 hour", "A remote wipe is triggered within 1 hour of the report", [
                "How soon after a loss is reported does IT remotely wipe the device?",
                "What is the time limit for triggering a remote wipe of a lost laptop?",
                "Within what time does a reported missing phone get wiped, unless security asks for a delay?",
            ]),
            ("numeric", "within 48 hours", "report the theft to the police within 48 hours", [
                "How quickly must the theft of a company device be reported to the police?",
                "What is the deadline for getting a police reference after a laptop is stolen?",
                "Within how many hours do I have to tell the police that my work phone was stolen?",
            ]),
            ("numeric", "within 2 working days", "A replacement laptop or phone is normally ready for collection within 2 working days.", [
                "How long does it usually take to get a replacement for a lost laptop?",
                "When will a replacement phone normally be ready after a loss is reported?",
                "What is the usual turnaround for a replacement device?",
            ]),
        ],
    },
]

FAQ_DOCS = [
    {
        "id": "faq/who-is-who.md",
        "title": "Who's Who: Teams, Leads and Locations",
        "body": """\
Maintained by the People Team · Updated whenever a team lead changes

## How to use this page

Kestrelmoor has grown quickly, and even long-serving colleagues sometimes do not know who runs what. This page lists every team with its lead, where the team sits and a direct extension. For budget holders who approve travel, see the Business Travel Policy; for product ownership, see each product overview.

## Leadership

Kestrelmoor Instruments Ltd. is led by the Chief Executive, Marguerite Oyelaran-Fisk, who founded the company's service business before becoming CEO. The executive team meets every Monday morning and publishes a short summary on the intranet afterwards.

## Product engineering teams

| Team | Lead engineer | Location | Extension |
|---|---|---|---|
| Thermal Systems | Ruairí Fallowfield | Building B, second floor, bay B2.14 | 4210 |
| Bioprocess | Astrid Nakagawa-Bell | Building C, ground floor, Juniper Wing | 4220 |
| Separation | Hamish Oduya-Rennick | Building A, first floor, bay A1.07 | 4230 |
| Fluidics | Cosima Blackwood-Iyer | Building C, first floor, Whitebeam Wing | 4240 |

Product engineering teams own the design, firmware and engineering changes of their products and act as Tier 3 in the customer escalation procedure.

## Service teams

| Team | Lead | Location | Extension |
|---|---|---|---|
| Field Service | Gideon Marchbank | Lisker Road Service Centre | 4250 |
| Customer Support | Maëlle Dufresne-Oakes | Lisker Road Service Centre | 4260 |
| Quality and Returns | Priya Vanterpool | Lisker Road Service Centre | 4320 |
| Metrology | Ottilie Brannigan-Sato | Building A, Metrology lab | 4270 |

## Corporate functions

| Function | Lead | Location | Extension |
|---|---|---|---|
| People Team | Tobias Wrenfield, HR Director | Building A, first floor | 4102 |
| Finance | Dariusz Pellowe, Financial Controller | Building A, second floor | 4300 |
| Procurement | Ines Castellbright | Building A, second floor | 4310 |
| Facilities | Osric Delahaye | Building B, ground floor | 4330 |
| IT Operations | Leopold Mwangi-Sterling | Building A, ground floor | 5120 |
| Information Security | Zoë Ångström | Building A, ground floor | 5107 |

The People Team's general line is extension 4100; use the direct extensions above only when you need the lead personally.

## Sites

The Dunmarrow head office has three buildings: Building A for offices, IT and the Metrology lab; Building B for production and the Thermal Systems team; and Building C for laboratories. The Lisker Road Service Centre, about twenty minutes away by car, houses Field Service, Customer Support, the repair workshop and goods-in. The Varnholm training centre is used for engineer training and customer courses.

## Corrections

If anything on this page is out of date, tell the People Team. Team leads are asked to check their entry every quarter.
""",
        "facts": [
            ("name", "Marguerite Oyelaran-Fisk", "led by the Chief Executive, Marguerite Oyelaran-Fisk,", [
                "Who is the Chief Executive of Kestrelmoor Instruments?",
                "Who leads the company as CEO?",
                "Which person heads the executive team at Kestrelmoor?",
            ]),
            ("name", "Ruairí Fallowfield", "| Thermal Systems | Ruairí Fallowfield | Building B, second floor, bay B2.14 | 4210 |", [
                "Who is the lead engineer of the Thermal Systems team?",
                "Which engineer leads Thermal Systems?",
                "Name the head of the Thermal Systems engineering team.",
            ]),
            ("name", "Maëlle Dufresne-Oakes", "| Customer Support | Maëlle Dufresne-Oakes | Lisker Road Service Centre | 4260 |", [
                "Who leads the Customer Support team?",
                "Which person runs the Customer Support desk at Lisker Road?",
                "Who is in charge of Customer Support?",
            ]),
        ],
    },
    {
        "id": "faq/it-helpdesk-faq.html",
        "title": "IT Service Desk: Frequently Asked Questions",
        "body": """\
Maintained by IT Operations

## How do I contact the IT Service Desk?

Call the IT Service Desk on extension 2323, or raise a ticket in Plover. The Service Desk is staffed from 07:30 to 18:00, Monday to Friday. Outside those hours, urgent security issues go to the security hotline; everything else waits for the next working day.

## I have forgotten my password. What should I do?

Use the self-service reset page, which you can reach from the sign-in screen of any company laptop by choosing "Forgot password". You will need your MFA device. If you have lost your MFA device as well, call the Service Desk, who will verify your identity by calling you back on the number held in Dunlin.

## Which Wi-Fi network should I use?

Company laptops and phones connect automatically to KM-Staff. Visitors use KM-Guest, which only gives internet access; the password changes every day and reception has it. Please do not connect personal devices to KM-Staff; they are blocked automatically.

## How do I work from home securely?

Company laptops connect to the network through the Kitewire VPN client, which starts automatically when you sign in outside the office. If Kitewire shows a red icon, restart the laptop before calling the Service Desk.

## How do I print?

All printers use follow-me printing. Send your document to the "KM-Print" queue and release it at any printer by tapping your access badge. Jobs that are not released within 24 hours are deleted.

## Can I get a second monitor or a different keyboard?

Yes. Standard accessories such as monitors, keyboards and docking stations can be requested in Plover from the hardware catalogue. Items in stock are usually ready for collection from the Rowan Room within three working days.

## Something is wrong with a laboratory instrument's PC. Who do I call?

Instrument PCs on the isolated lab network are managed by the Bioprocess and Separation teams together with IT. Call the Service Desk anyway; they will route the ticket correctly.

## What counts as urgent?

The Service Desk prioritises tickets as follows:

| Priority | Example | Target response |
|---|---|---|
| P1 | Site-wide outage, production line stopped | 15 minutes |
| P2 | Team unable to work | 1 hour |
| P3 | One person unable to work | 4 hours |
| P4 | Requests and questions | 2 working days |

## Where do I report a suspicious email?

Use the "Report Phish" button in your mail client. See the IT Acceptable Use Policy for details.
""",
        "facts": [
            ("date", "07:30 to 18:00", "The Service Desk is staffed from 07:30 to 18:00, Monday to Friday.", [
                "What are the IT Service Desk's opening hours?",
                "Between which times on weekdays can I reach the IT Service Desk?",
                "When is the IT help desk staffed?",
            ]),
            ("name", "KM-Guest", "Visitors use KM-Guest, which only gives internet access;", [
                "Which Wi-Fi network should visitors use?",
                "What is the name of the guest wireless network?",
                "To which Wi-Fi should a visiting supplier connect their laptop?",
            ]),
            ("name", "Kitewire", "Company laptops connect to the network through the Kitewire VPN client,", [
                "What is the name of the VPN client on company laptops?",
                "Which VPN software connects Kestrelmoor laptops when working from home?",
                "If the VPN icon turns red, which client am I looking at?",
            ]),
            ("numeric", "15 minutes", "| P1 | Site-wide outage, production line stopped | 15 minutes |", [
                "What is the target response time for a P1 IT ticket?",
                "How quickly does the Service Desk aim to respond to a site-wide outage?",
                "If the production line has stopped because of an IT fault, what response time is targeted?",
            ]),
        ],
    },
]

FAQ_DOCS += [
    {
        "id": "faq/customer-support-faq.md",
        "title": "Customer Support: Frequently Asked Questions",
        "body": """\
For customers of Kestrelmoor Instruments · Maintained by Customer Support

## How do I contact Customer Support?

You can reach Customer Support through the customer portal at support.kestrelmoor.example, by email, or by phone. The support line is open from 08:00 to 18:00, Monday to Friday, excluding public holidays. Colleagues inside Kestrelmoor can transfer a customer to the support line on extension 2600.

Customers with a Premium service contract also have access to an out-of-hours number, printed on their contract card, which reaches the on-call field engineer.

## What information should I have ready?

Please have the serial number of the instrument, a description of the problem, any error or alarm codes, and the time they appeared. Serial numbers are on the label on the rear panel. For the KCI-740 they start with TV, for the RZ-3100 with OR, for the HX-58 with CMR and for the PD-9 with FN.

## How quickly will you respond?

That depends on your service contract; the response times are set out in your contract and summarised on the portal. Every case receives a case number in the format CS- followed by six digits, which you should quote in all further contact.

## How do I order spare parts and consumables?

Order through the portal or by email, quoting the part number and the serial number of the instrument. Orders for parts in stock placed before 14:00 on a working day are dispatched the same day. Tube sets for the PD-9, door gaskets for the KCI-740 and KG-40 coolant concentrate are normally in stock.

## Can I do maintenance myself?

Yes, for the user tasks described in each manual, such as changing PD-9 tubes or cleaning the HX-58 condenser. Tasks marked for engineers should be left to Kestrelmoor or a certified partner, otherwise the warranty may be affected.

## Do you offer training?

We run user training courses at the Varnholm training centre and on customer sites. Courses for the KCI-740 and the RZ-3100 last half a day; the HX-58 operator course lasts a full day. Ask Customer Support for dates and prices.

## How do I send an instrument back?

Contact Customer Support for an RMA number first. Please read the returns procedure carefully, especially the requirement for a signed decontamination declaration.

## How can I give feedback?

After each closed case you will receive a short survey. We read every comment. If you are unhappy with how a case was handled, ask for it to be escalated; the case owner will explain the next step.
""",
        "facts": [
            ("date", "08:00 to 18:00", "The support line is open from 08:00 to 18:00, Monday to Friday,", [
                "What are the opening hours of the customer support line?",
                "Between which times can customers phone Kestrelmoor Customer Support on weekdays?",
                "When is the support phone line staffed for customers?",
            ]),
            ("name", "CMR", "for the HX-58 with CMR", [
                "What letters do HX-58 serial numbers start with?",
                "Which prefix identifies a Coldmere chiller's serial number?",
                "How does a chiller serial number begin?",
            ]),
            ("date", "before 14:00", "Orders for parts in stock placed before 14:00 on a working day are dispatched the same day.", [
                "By what time must a spare part order be placed to ship the same day?",
                "What is the daily cut-off for same-day dispatch of in-stock parts?",
                "If I order a PD-9 tube set in the morning, until what time will it still go out today?",
            ]),
            ("name", "CS- followed by six digits", "Every case receives a case number in the format CS- followed by six digits,", [
                "What format do customer support case numbers have?",
                "How is a Customer Support case number structured?",
                "What does the reference I should quote for a support case look like?",
            ]),
        ],
    },
    {
        "id": "faq/hr-faq.md",
        "title": "Pay, Benefits and HR: Frequently Asked Questions",
        "body": """\
Maintained by the People Team

## When is payday?

Salaries are paid on the 25th of each month. If the 25th falls on a weekend or public holiday, payment is made on the previous working day. Payslips appear in Dunlin two working days before payday.

## How does the pension scheme work?

You are enrolled in the company pension scheme automatically after one month of employment. Kestrelmoor matches your own contributions up to 6 % of salary, so if you contribute 6 %, the company adds another 6 %. You can change your contribution rate in Dunlin once a month, and you can opt out at any time, although we encourage everyone to think carefully first.

## Is there support if I am struggling?

Yes. Our employee assistance programme, Harbourline, offers free and confidential counselling, legal and financial advice, 24 hours a day. It is available to you and to members of your household. The People Team does not learn who uses the service.

## Is there a bonus for referring friends?

If you refer someone who is hired and completes their probation, you receive a referral bonus of €1,200, paid with the salary after the probation is confirmed. Referrals for director-level roles and for roles filled by internal transfers are not eligible.

## How do I change my bank details or address?

Update them in Dunlin. Changes to bank details made after the 15th of a month take effect from the following month's salary. For security, the People Team will never ask you to change bank details by email; if you receive such a request, report it as phishing.

## Can I buy more holiday?

Yes. During the annual benefits window each March you can buy up to 5 additional days of leave, paid for through salary deductions spread over the year. Requests outside the window are not accepted.

## What is the cycle-to-work scheme?

You can lease a bicycle and accessories up to a value of €2,200 through salary sacrifice, spread over twelve months. Applications open twice a year, in April and October.

## How do performance reviews work?

Every employee has a performance conversation with their manager twice a year, in May and November. Pay reviews take effect on 1 July and are based on the May conversation.

## Who can I talk to about a problem with my manager?

You can talk to the People Team in confidence, or, for serious concerns such as fraud or safety issues, use the whistleblowing route.
""",
        "facts": [
            ("date", "the 25th of each month", "Salaries are paid on the 25th of each month.", [
                "On what day of the month are salaries paid?",
                "When is payday at Kestrelmoor?",
                "Which date each month does my salary arrive?",
            ]),
            ("numeric", "6 %", "Kestrelmoor matches your own contributions up to 6 % of salary,", [
                "Up to what percentage of salary does Kestrelmoor match pension contributions?",
                "What is the maximum employer pension match?",
                "How much will the company add to my pension at most, as a share of salary?",
            ]),
            ("name", "Harbourline", "Our employee assistance programme, Harbourline, offers free and confidential counselling,", [
                "What is the name of the employee assistance programme?",
                "Which service offers staff free confidential counselling around the clock?",
                "If I need confidential financial or legal advice, which programme can I call?",
            ]),
            ("date", "1 July", "Pay reviews take effect on 1 July", [
                "On what date do annual pay reviews take effect?",
                "When do salary increases from the pay review start?",
                "From which date are pay rises applied each year?",
            ]),
        ],
    },
]

FAQ_DOCS += [
    {
        "id": "faq/facilities-faq.txt",
        "title": "Facilities: Frequently Asked Questions",
        "body": """\
Maintained by Facilities. Facilities Manager: Osric Delahaye.

Q: How do I get a parking permit?

A: Parking permits for the Dunmarrow car parks are issued by Facilities through Plover. Permits are free, but spaces are limited, so priority goes to colleagues with disabilities, car-sharers and people who start before 07:00. The north car park is reserved for visitors and deliveries between 08:00 and 10:00.

Q: When is the canteen open?

A: The canteen on the ground floor of Building A serves hot lunches from 11:45 to 14:00 on working days. The coffee counter opens at 07:30. A weekly menu is published on the intranet every Friday for the following week. Please tell the canteen team about allergies; they can prepare meals on request with a day's notice.

Q: How do I book a meeting room?

A: Meeting rooms at Dunmarrow are named after trees: the Larch, Rowan, Hazel and Alder rooms in Building A, and the Juniper and Whitebeam rooms in Building C. Book them in the calendar system. Bookings not checked in on the room panel within 15 minutes of the start are released automatically. The Rowan Room is often reserved for IT equipment handovers on Mondays.

Note that the Alder Room at Lisker Road is a different room from the Alder Room in Building A. Lisker Road rooms are booked through the service centre reception.

Q: Where can I charge my electric car?

A: There are twelve charging points in the south car park. Please move your car when charging is complete, and in any case after 4 hours, so that others can use the point. Charging is free for employees.

Q: I have lost something. Where should I look?

A: Lost property is held at the main reception in Building A. Unclaimed items are kept for 3 months and then donated to charity or, for electronics, securely destroyed.

Q: Is there somewhere to leave my bicycle?

A: Yes. The covered cycle shelter is on the north car park, next to Assembly Point C. Showers and lockers are available in the basement of Building B.

Q: Who do I tell about a broken light, leaking tap or a room that is too cold?

A: Raise a facilities request in Plover. Urgent problems, such as flooding or a security risk, should be phoned through to Facilities on extension 4330 during working hours, or to the security lodge on extension 3000 out of hours.

Q: Can I bring my dog to work?

A: No, except for assistance dogs. Animals are not allowed in the laboratories or production areas for hygiene and safety reasons.

Q: What happens to confidential paper waste?

A: Use the locked confidential waste bins on each floor. They are emptied by the shredding contractor every Friday.
""",
        "facts": [
            ("date", "11:45 to 14:00", "serves hot lunches from 11:45 to 14:00 on working days.", [
                "When does the canteen serve hot lunches?",
                "What are the lunch hours in the Building A canteen?",
                "Between what times can I get a hot meal at the canteen?",
            ]),
            ("numeric", "after 4 hours", "Please move your car when charging is complete, and in any case after 4 hours,", [
                "After how long must employees move their car from an EV charging point?",
                "What is the maximum time I can occupy an electric car charger in the south car park?",
                "How long may a car stay at a charging point at most?",
            ]),
            ("name", "extension 3000", "or to the security lodge on extension 3000 out of hours.", [
                "Which extension reaches the security lodge out of hours?",
                "Whom do I phone, and on what extension, about flooding in the evening?",
                "What internal number do I call for urgent facilities problems outside working hours?",
            ]),
        ],
    },
    {
        "id": "faq/new-starter-faq.md",
        "title": "New Starter FAQ: Your First Weeks at Kestrelmoor",
        "body": """\
Written by the People Team with help from recent joiners

## Welcome

Joining a new company means learning a lot of names, acronyms and habits at once. This FAQ collects the questions that new colleagues ask most often in their first weeks. Your buddy and your manager are there for everything else.

## What do all these bird names mean?

Our internal systems are named after birds. You will meet these most often:

- **Dunlin** is the HR portal: leave, payslips, personal details.
- **Tern** books business travel.
- **Linnet** handles expenses and the gifts register.
- **Plover** is the IT and facilities ticketing system.
- **Siskin** is the customer and service system used by Customer Support and Field Service.

Meeting rooms, on the other hand, are named after trees. Nobody remembers who started either tradition.

## Is there a dress code?

Not in the offices: dress for the day you are having. In laboratories and on the production floor, protective clothing rules apply and your supervisor will explain them. If you are meeting customers, smart casual is usually right.

## How do I meet people outside my team?

Every month, the CEO hosts a welcome lunch for everyone who joined in the previous month. It takes place on the last Friday of each month in the Larch Room, and you will receive an invitation automatically. There is also a Thursday afternoon coffee round in the canteen, where each week a different team explains what it does.

## Where can I get coffee?

The canteen coffee counter in Building A opens early. There is also a small café called The Perch on the ground floor of Building B, popular with the production teams. It is open until 16:30.

## What training do I have to do?

Your manager will give you a training plan. Everyone completes the security awareness course in the first week and the health and safety induction on day one. Engineers then follow product training according to the products they will work on.

## How are we doing as a company?

Kestrelmoor employs about 640 people and sells instruments in more than 30 countries. The company was founded in 1987 as a repair workshop for laboratory refrigerators and built its first own product, an early incubator, in 1994. Results are shared at the all-hands meeting held each quarter.

## Can I get a staff discount?

Employees can buy refurbished Kestrelmoor instruments for personal research projects or schools at a 35 % discount, subject to availability. Ask Customer Support for the current list.

## I still have questions!

Ask your buddy, your manager or the Onboarding Coordinator. No question is too small during your first months.
""",
        "facts": [
            ("name", "Siskin", "**Siskin** is the customer and service system used by Customer Support and Field Service.", [
                "Which internal system is used by Customer Support and Field Service to manage customer cases?",
                "What is the name of Kestrelmoor's customer and service system?",
                "Where are service reports and customer cases recorded, by system name?",
            ]),
            ("date", "last Friday of each month", "It takes place on the last Friday of each month in the Larch Room,", [
                "When is the CEO's welcome lunch for new joiners held?",
                "On which day of the month does the new starter welcome lunch take place?",
                "How often, and on what day, does the CEO host lunch for recent joiners?",
            ]),
            ("name", "The Perch", "There is also a small café called The Perch on the ground floor of Building B,", [
                "What is the name of the café in Building B?",
                "Besides the canteen, where can I get coffee on the Building B ground floor?",
                "Which café is popular with the production teams?",
            ]),
            ("date", "1987", "The company was founded in 1987 as a repair workshop for laboratory refrigerators", [
                "In what year was Kestrelmoor founded?",
                "When did Kestrelmoor start out as a repair workshop?",
                "How old is the company, i.e. what is its founding year?",
            ]),
        ],
    },
]

# ---------------------------------------------------------------------------
# Facts that need two documents (tag multi_doc).  Each question joins a detail from
# one document (e.g. which team owns a product) with a detail from another (e.g. who
# approves that team's travel).  evidence maps doc id -> sentence(s) in that doc; the
# answer must occur verbatim in at least one of the documents.
# ---------------------------------------------------------------------------

MULTI_DOC_FACTS = [
    ("name", "Sunniva Crane-Adeyemi", {
        "manuals/hx-58/overview.md": "The HX-58 is owned by the Thermal Systems team,",
        "policies/travel.md": "| Thermal Systems | Sunniva Crane-Adeyemi |",
    }, [
        "Who approves business travel for the team that owns the HX-58 chiller?",
        "An engineer from the team responsible for the Coldmere wants to visit a customer; whose travel approval is needed?",
        "Which budget holder signs off trips for the people who design the HX-58?",
    ]),
    ("name", "Tadhg Wilmore-Osei", {
        "manuals/pd-9/overview.html": "The PD-9 is owned by the Fluidics team,",
        "policies/travel.md": "| Fluidics | Tadhg Wilmore-Osei |",
    }, [
        "Who approves travel for the team that owns the PD-9 dosing pump?",
        "If a PD-9 product engineer needs to fly to a trade fair, who must approve the trip?",
        "Which budget holder approves trips for the team behind the Fennick pump?",
    ]),
    ("name", "Building C, ground floor, Juniper Wing", {
        "manuals/kci-740/overview.md": "it is the product for which the Bioprocess team is responsible.",
        "faq/who-is-who.md": "| Bioprocess | Astrid Nakagawa-Bell | Building C, ground floor, Juniper Wing | 4220 |",
    }, [
        "Where does the team responsible for the KCI-740 incubator sit?",
        "I need to visit the engineers who own the Thermavault in person; where is their area?",
        "In which building and wing is the team that owns the CO₂ incubator located?",
    ]),
    ("name", "Hamish Oduya-Rennick", {
        "manuals/rz-3100/overview.md": "The Separation team is responsible for the RZ-3100's design, firmware and engineering changes.",
        "faq/who-is-who.md": "| Separation | Hamish Oduya-Rennick | Building A, first floor, bay A1.07 | 4230 |",
    }, [
        "Who is the lead engineer of the team responsible for the RZ-3100 centrifuge?",
        "Which engineer leads the team that owns the Orbis centrifuge design?",
        "Who heads the product team behind the RZ-3100?",
    ]),
    ("name", "Yusra Penhaligon", {
        "faq/who-is-who.md": "| Separation | Hamish Oduya-Rennick | Building A, first floor, bay A1.07 | 4230 |",
        "policies/travel.md": "| Separation | Yusra Penhaligon |",
    }, [
        "Who approves travel for the team led by Hamish Oduya-Rennick?",
        "Hamish Oduya-Rennick's engineers need to travel to a supplier; which budget holder approves it?",
        "Whose approval is required for business trips by members of Hamish Oduya-Rennick's team?",
    ]),
    ("numeric", "three written quotes", {
        "manuals/hx-58/maintenance.md": "| Compressor | HX-CP58 | €3,900 |",
        "policies/procurement.md": "| €2,500.01 to €25,000 | three written quotes |",
    }, [
        "How many quotes are required to purchase one HX-58 replacement compressor at list price?",
        "If we buy a single Coldmere compressor at its list price, what does the procurement policy require?",
        "What quotation requirement applies to ordering one compressor for the HX-58 chiller?",
    ]),
    ("numeric", "€190 per night", {
        "procedures/field-service-visit.html": "Recertification is a three-day course held at the Varnholm training centre each spring,",
        "policies/expenses.md": ["High-cost locations: €190 per night.", "The current list of high-cost locations is national capital cities, Varnholm (where our training centre is),"],
    }, [
        "What is the nightly hotel cap for a field engineer attending their product recertification course?",
        "How much may a hotel cost per night during the three-day engineer recertification?",
        "When field engineers go for recertification each spring, what hotel rate limit applies?",
    ]),
    ("numeric", "5 years from receipt", {
        "procedures/rma-returns.md": "every return must include a signed decontamination declaration on form QF-112,",
        "policies/data-retention.md": "| Decontamination declarations (form QF-112) | 5 years from receipt | Quality |",
    }, [
        "How long does Kestrelmoor keep the declaration form that must accompany every RMA return?",
        "What is the retention period for the signed decontamination form that customers attach to returns?",
        "For how long is the form fixed to the outside of a returned parcel retained?",
    ]),
    ("name", "extension 2323", {
        "procedures/lost-device.md": "Report the loss to the IT Service Desk immediately,",
        "faq/it-helpdesk-faq.html": "Call the IT Service Desk on extension 2323,",
    }, [
        "Which extension should I call to report a lost company laptop?",
        "I've left my work phone on a train; what extension do I phone first?",
        "What internal number is used to report a missing company device straight away?",
    ]),
    ("name", "SEV-1", {
        "procedures/lost-device.md": "If the device held Restricted or Sealed data, or if it was stolen, the loss is also a security incident.",
        "procedures/incident-response.md": "| SEV-1 | Critical: major business impact or any incident involving Sealed data |",
    }, [
        "What severity level applies when a lost laptop held Sealed data?",
        "How is the loss of a device containing salary data classified in the incident severity scale?",
        "If someone loses a tablet storing Sealed information, which SEV level is the incident?",
    ]),
    ("numeric", "4,150 × g", {
        "manuals/rz-3100/rotor-care.md": "For blood fractionation, use the RZ-A24 swing-out rotor",
        "manuals/rz-3100/overview.md": "| RZ-A24 | Swing-out, 4 buckets for 250 mL bottles or blood tubes | 4,600 rpm | 4,150 × g |",
    }, [
        "What is the maximum RCF of the rotor recommended for blood fractionation on the RZ-3100?",
        "Using the Orbis rotor advised for separating plasma from blood cells, what top g-force can be reached?",
        "How many × g can the recommended blood fractionation rotor achieve at most?",
    ]),
    ("numeric", "11,000 rpm", {
        "manuals/rz-3100/rotor-care.md": "Cell pellets and cultures in 50 mL conical tubes: use the RZ-F6 fixed-angle rotor.",
        "manuals/rz-3100/overview.md": "| RZ-F6 | Fixed angle, 6 × 50 mL conical tubes | 11,000 rpm | 14,870 × g |",
    }, [
        "What is the maximum speed of the RZ-3100 rotor recommended for 50 mL conical tubes?",
        "How fast can I spin cell pellets in 50 mL conical tubes using the recommended Orbis rotor?",
        "With the rotor advised for 50 mL cultures, what top rpm does the centrifuge allow?",
    ]),
    ("numeric", "every 250 running hours", {
        "manuals/pd-9/overview.html": "Flows above 300 mL/min therefore always need the TS-80 tube set.",
        "manuals/pd-9/tube-replacement.md": "TS-80 (orange): every 250 running hours,",
    }, [
        "How often must the tube be replaced when a PD-9 runs at flows above 300 mL/min?",
        "If my Fennick doses 500 mL/min, after how many running hours should the tube set be changed?",
        "What is the tube replacement interval for a PD-9 used in its highest flow range?",
    ]),
    ("name", "4102", {
        "policies/remote-work.md": "but only with prior written approval from the HR Director, Tobias Wrenfield.",
        "faq/who-is-who.md": "| People Team | Tobias Wrenfield, HR Director | Building A, first floor | 4102 |",
    }, [
        "What is the direct extension of the person who approves working from abroad?",
        "I want to work from another country for two weeks; what extension reaches the person who must approve it?",
        "Which direct line should I ring to speak to whoever signs off temporary work abroad?",
    ]),
    ("name", "Bartholomew Iqbal-Strand", {
        "faq/who-is-who.md": "| Thermal Systems | Ruairí Fallowfield | Building B, second floor, bay B2.14 | 4210 |",
        "policies/health-and-safety.html": "| Building B | Bartholomew Iqbal-Strand | 3322 |",
    }, [
        "Who is the lead first aider for the building where the Thermal Systems team works?",
        "If someone in the Thermal Systems team is injured at their desk, which lead first aider covers their building?",
        "Which lead first aider is responsible for the building that houses the Thermal Systems team?",
    ]),
    ("numeric", "24 months", {
        "manuals/kci-740/overview.md": "| Chamber volume | 170 L |",
        "manuals/warranty.md": "| KCI-740 Thermavault CO₂ incubator | 24 months |",
    }, [
        "What is the standard warranty of the Kestrelmoor instrument with a 170 L chamber?",
        "How long is the standard warranty on the incubator whose chamber holds 170 litres?",
        "For the product with a 170-litre chamber, what standard warranty period applies?",
    ]),
    ("name", "Fluidics team", {
        "procedures/escalation.md": "The owning team for each product is stated in its product overview.",
        "manuals/pd-9/overview.html": "The PD-9 is owned by the Fluidics team,",
    }, [
        "Which team handles Tier 3 escalations for suspected PD-9 firmware faults?",
        "If Tier 2 suspects a design flaw in the Fennick pump, which product team takes the case?",
        "Who acts as Tier 3 for a PD-9 case?",
    ]),
    ("name", "4210", {
        "manuals/hx-58/overview.md": "The HX-58 is owned by the Thermal Systems team,",
        "faq/who-is-who.md": "| Thermal Systems | Ruairí Fallowfield | Building B, second floor, bay B2.14 | 4210 |",
    }, [
        "What extension reaches the lead engineer of the team that owns the HX-58?",
        "Which phone extension belongs to the team lead responsible for the Coldmere chiller?",
        "To talk to the head of the HX-58's product team, which extension do I dial?",
    ]),
    ("name", "Gideon Marchbank", {
        "procedures/field-service-visit.html": "Engineers book their travel through Tern as soon as the course dates are published.",
        "policies/travel.md": "| Field Service | Gideon Marchbank |",
    }, [
        "Who approves a field engineer's travel booking to the recertification course?",
        "Which budget holder must approve the Tern booking when a field engineer travels to Varnholm for recertification?",
        "Whose approval does a field engineer need before booking the trip for product recertification?",
    ]),
]

DOCS = POLICY_DOCS + MANUAL_DOCS + PROCEDURE_DOCS + FAQ_DOCS

# Top-level folder -> family tag.
FAMILIES = {"policies": "policy", "manuals": "manual", "procedures": "procedure", "faq": "faq"}
TYPE_TAGS = ("numeric", "date", "name", "procedure")


# ---------------------------------------------------------------------------
# Rendering.  .md and .txt bodies are written as they are; .html bodies are light
# markdown converted to real HTML so that the loader's markup stripping is exercised.
# ---------------------------------------------------------------------------

def inline_html(text: str) -> str:
    """Escape text for HTML and turn **bold** into <strong>."""
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text, quote=False))


def table_cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def markdown_to_html_blocks(body: str) -> list[str]:
    """Convert the small markdown subset used in bodies into HTML block elements."""
    out: list[str] = []
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("### "):
            out.append(f"<h3>{inline_html(line[4:])}</h3>")
            i += 1
        elif line.startswith("## "):
            out.append(f"<h2>{inline_html(line[3:])}</h2>")
            i += 1
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(f"  <li>{inline_html(lines[i][2:])}</li>")
                i += 1
            out.append("<ul>\n" + "\n".join(items) + "\n</ul>")
        elif re.match(r"\d+\. ", line):
            items = []
            while i < len(lines) and re.match(r"\d+\. ", lines[i]):
                items.append(f"  <li>{inline_html(lines[i].split('. ', 1)[1])}</li>")
                i += 1
            out.append("<ol>\n" + "\n".join(items) + "\n</ol>")
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            header, body_rows = table_cells(rows[0]), [r for r in rows[1:] if not re.match(r"\|[-| ]+\|$", r)]
            parts = ["<table>", "  <tr>" + "".join(f"<th>{inline_html(c)}</th>" for c in header) + "</tr>"]
            for r in body_rows:
                parts.append("  <tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in table_cells(r)) + "</tr>")
            parts.append("</table>")
            out.append("\n".join(parts))
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not re.match(r"(#{2,3} |- |\d+\. |\|)", lines[i]):
                para.append(lines[i].strip())
                i += 1
            out.append(f"<p>{inline_html(' '.join(para))}</p>")
    return out


def render(doc: dict) -> str:
    """Return the file content for a document, chosen by its extension."""
    title, body = doc["title"], doc["body"].rstrip("\n")
    ext = Path(doc["id"]).suffix
    if ext == ".md":
        return f"# {title}\n\n{body}\n"
    if ext == ".txt":
        return f"{title}\n{'=' * len(title)}\n\n{body}\n"
    if ext == ".html":
        blocks = "\n".join(markdown_to_html_blocks(body))
        t = html.escape(title, quote=False)
        return (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{t}</title>\n</head>\n<body>\n<h1>{t}</h1>\n{blocks}\n</body>\n</html>\n"
        )
    raise ValueError(f"unsupported extension: {doc['id']}")


class _TextExtractor(HTMLParser):
    """Collect visible text from HTML, roughly what a markup-stripping loader sees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" ")


def plain_text(doc_id: str, content: str) -> str:
    if doc_id.endswith(".html"):
        parser = _TextExtractor()
        parser.feed(content)
        parser.close()
        return "".join(parser.parts)
    return content


def norm(text: str) -> str:
    """Case-fold, drop markdown bold markers and collapse whitespace, for containment checks."""
    return re.sub(r"\s+", " ", text.replace("**", "")).strip().lower()


def word_count(text: str) -> int:
    return sum(1 for tok in text.split() if re.search(r"\w", tok))


def family_of(doc_id: str) -> str:
    return FAMILIES[doc_id.split("/", 1)[0]]


# ---------------------------------------------------------------------------
# Facts: flatten the tables into one list with ids, sources, evidence and tags.
# ---------------------------------------------------------------------------

def build_facts() -> list[dict]:
    raw = []
    for doc in DOCS:
        for ftype, answer, evidence, questions in doc["facts"]:
            raw.append((ftype, answer, [(doc["id"], evidence)], questions, False))
    for ftype, answer, ev_map, questions in MULTI_DOC_FACTS:
        evidence = []
        for doc_id, sentences in ev_map.items():
            for sent in [sentences] if isinstance(sentences, str) else sentences:
                evidence.append((doc_id, sent))
        raw.append((ftype, answer, evidence, questions, True))

    facts = []
    for n, (ftype, answer, evidence, questions, multi) in enumerate(raw, start=1):
        sources = list(dict.fromkeys(d for d, _ in evidence))  # ordered, unique
        families = sorted({family_of(d) for d in sources})
        tags = [ftype] + families + (["multi_doc"] if multi else [])
        facts.append({
            "id": f"f{n:03d}",
            "type": ftype,
            "answer": answer,
            "sources": sources,
            "evidence": evidence,
            "questions": list(questions),
            "multi_doc": multi,
            "family": family_of(sources[0]),
            "tags": tags,
        })
    return facts


# ---------------------------------------------------------------------------
# Checks.  They fail loudly: a corpus whose answers are not in its documents, or whose
# eval questions leak into train, would silently invalidate every experiment.
# ---------------------------------------------------------------------------

def check_docs(rendered: dict[str, str]) -> None:
    ids = [d["id"] for d in DOCS]
    assert len(ids) == len(set(ids)), "duplicate document ids"
    assert len(ids) >= 45, f"need at least 45 documents, have {len(ids)}"
    ext_counts = Counter(Path(i).suffix for i in ids)
    assert ext_counts[".txt"] >= 5 and ext_counts[".html"] >= 5, ext_counts
    for doc in DOCS:
        family_of(doc["id"])  # KeyError if the folder is not a known family
        text = plain_text(doc["id"], rendered[doc["id"]])
        n = word_count(text)
        assert MIN_WORDS <= n <= MAX_WORDS, f"{doc['id']}: {n} words, outside {MIN_WORDS}-{MAX_WORDS}"
        if doc["id"].endswith(".html"):
            assert "**" not in text and "|" not in text, f"{doc['id']}: markdown left in HTML"


def check_facts(facts: list[dict], rendered: dict[str, str]) -> None:
    doc_ids = {d["id"] for d in DOCS}
    bodies = {d["id"]: norm(d["body"]) for d in DOCS}
    texts = {i: norm(plain_text(i, c)) for i, c in rendered.items()}
    seen_questions: dict[str, str] = {}
    for f in facts:
        ans = norm(f["answer"])
        assert f["type"] in TYPE_TAGS, f
        assert 2 <= len(f["questions"]) <= 3, f"{f['id']}: needs 2 or 3 paraphrases"
        for d, sentence in f["evidence"]:
            assert d in doc_ids, f"{f['id']}: unknown source {d}"
            assert norm(sentence) in bodies[d], f"{f['id']}: evidence not found in {d}: {sentence!r}"
        # The answer must be readable in the text a loader gets from a source document.
        in_docs = [d for d in f["sources"] if ans in texts[d]]
        if f["multi_doc"]:
            assert len(f["sources"]) >= 2, f"{f['id']}: multi_doc fact needs two documents"
            assert in_docs, f"{f['id']}: answer {f['answer']!r} in none of {f['sources']}"
            assert any(ans in norm(s) for _, s in f["evidence"]), f"{f['id']}: answer not in any evidence"
        else:
            assert in_docs == f["sources"], f"{f['id']}: answer {f['answer']!r} not in {f['sources']}"
            assert ans in norm(f["evidence"][0][1]), f"{f['id']}: answer not in its evidence sentence"
        for q in f["questions"]:
            key = norm(q)
            assert key not in seen_questions, f"{f['id']}: question repeats {seen_questions[key]}: {q!r}"
            seen_questions[key] = f["id"]
    assert sum(f["multi_doc"] for f in facts) >= 15, "need at least 15 multi_doc facts"


# ---------------------------------------------------------------------------
# Seen / unseen split (Ovadia et al. 2023 design).
#   seen fact:   all paraphrases but one -> train, one held-out paraphrase -> eval
#   unseen fact: one paraphrase -> eval, the others are dropped (never trained on)
# Stratified by (family, type, multi_doc) so both groups cover every family and type.
# ---------------------------------------------------------------------------

def assign_seen(facts: list[dict]) -> dict[str, bool]:
    rng = random.Random(SEED)
    strata: dict[tuple, list[dict]] = {}
    for f in facts:
        strata.setdefault((f["family"], f["type"], f["multi_doc"]), []).append(f)
    ordered: list[dict] = []
    for key in sorted(strata):
        group = sorted(strata[key], key=lambda f: f["id"])
        rng.shuffle(group)
        ordered.extend(group)
    # Systematic sampling over the stratified order: every UNSEEN_EVERY-th fact is unseen.
    # This keeps the global share at one third and spreads unseen facts over all strata.
    offset = rng.randrange(UNSEEN_EVERY)
    return {f["id"]: (i % UNSEEN_EVERY != offset) for i, f in enumerate(ordered)}


def build_qa(facts: list[dict], seen: dict[str, bool]) -> list[dict]:
    rng = random.Random(SEED + 1)  # separate stream: held-out paraphrase choice
    rows = []
    for f in facts:
        held_out = rng.randrange(len(f["questions"]))
        group_tag = "seen_fact" if seen[f["id"]] else "unseen_fact"
        for k, q in enumerate(f["questions"]):
            if k == held_out:
                split = "eval"
            elif seen[f["id"]]:
                split = "train"
            else:
                continue  # unseen fact: the other paraphrases are dropped on purpose
            rows.append({
                "id": f"{f['id']}-q{k + 1}",
                "question": q,
                "answer": f["answer"],
                "sources": list(f["sources"]),
                "split": split,
                "tags": sorted(f["tags"] + [group_tag]),
            })
    return rows


def check_qa(rows: list[dict], facts: list[dict], seen: dict[str, bool]) -> None:
    doc_ids = {d["id"] for d in DOCS}
    assert len(rows) >= 320, f"need at least 320 QA lines, have {len(rows)}"
    assert len({r["id"] for r in rows}) == len(rows), "duplicate QA ids"
    train_q = {norm(r["question"]) for r in rows if r["split"] == "train"}
    eval_q = {norm(r["question"]) for r in rows if r["split"] == "eval"}
    assert not train_q & eval_q, "an eval question text also appears in train"
    for r in rows:
        assert r["sources"] and all(s in doc_ids for s in r["sources"]), r
    by_fact = Counter((r["id"].split("-")[0], r["split"]) for r in rows)
    for f in facts:
        assert by_fact[(f["id"], "eval")] == 1, f"{f['id']}: needs exactly one eval paraphrase"
        n_train = by_fact[(f["id"], "train")]
        assert (n_train >= 1) if seen[f["id"]] else (n_train == 0), f"{f['id']}: wrong train count"
    # Both groups must cover every family, every fact type, and multi_doc facts.
    for field, values in (("family", FAMILIES.values()), ("type", TYPE_TAGS), ("multi_doc", [True])):
        for value in values:
            groups = {seen[f["id"]] for f in facts if f[field] == value}
            assert groups == {True, False}, f"{field}={value}: seen/unseen not both present"


# ---------------------------------------------------------------------------
# Output.
# ---------------------------------------------------------------------------

def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def main() -> int:
    here = Path(__file__).resolve().parent
    docs_dir = here / "docs"

    rendered = {d["id"]: render(d) for d in DOCS}
    check_docs(rendered)
    facts = build_facts()
    check_facts(facts, rendered)
    seen = assign_seen(facts)
    rows = build_qa(facts, seen)
    check_qa(rows, facts, seen)

    # Only write once every check has passed, and rebuild docs/ from scratch.
    if docs_dir.exists():
        shutil.rmtree(docs_dir)
    for doc_id in sorted(rendered):
        write_text(docs_dir / doc_id, rendered[doc_id])
    write_text(here / "qa.jsonl",
               "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows))

    # Summary.
    ext_counts = Counter(Path(i).suffix for i in rendered)
    print(f"documents: {len(rendered)} ("
          + ", ".join(f"{e}: {n}" for e, n in sorted(ext_counts.items())) + ")")
    n_seen = sum(seen.values())
    print(f"facts: {len(facts)} (seen: {n_seen}, unseen: {len(facts) - n_seen}, "
          f"multi_doc: {sum(f['multi_doc'] for f in facts)})")
    split_counts = Counter(r["split"] for r in rows)
    print(f"qa lines: {len(rows)} (train: {split_counts['train']}, eval: {split_counts['eval']})")
    tag_counts: dict[str, Counter] = {}
    for r in rows:
        for t in r["tags"]:
            tag_counts.setdefault(t, Counter())[r["split"]] += 1
    print("qa lines per tag (train / eval):")
    for t in sorted(tag_counts):
        print(f"  {t:<12} {tag_counts[t]['train']:>4} / {tag_counts[t]['eval']:>4}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
