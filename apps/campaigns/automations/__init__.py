"""Automations: the messages that run themselves (docs/architecture/campaigns.md).

* `kinds.py`: what each kind is (promotional or service, its defaults) and its default
  texts, translated;
* `editing.py`: switching one on or off (only occurrences from that day count);
* `scanning.py`: the date kinds' daily look at the members (a birthday this day, turning at
  risk or lapsed this day), writing one `AutomationOccurrence` per member and moment;
* `processing.py`: the due occurrences turned into delivery rows (reach, cooldown,
  holdout, frequency cap), sent by the delivery layer's own path;
* `rendering.py`: the message (`MESSAGE_SOURCES` "automation");
* `run.py`: `automations_run` (what `manage.py run_automations` and the beat's tick call);
* `report.py`: the pooled lift report over all of an automation's sends.

The dashboard's pages are campaigns' `automation_views.py` and `automation_forms.py`.
"""
