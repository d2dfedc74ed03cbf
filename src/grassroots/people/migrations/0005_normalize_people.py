"""Bring stored people to the one normal form of `people/normalize.py` and fill their search keys.

A value that cannot be normalized (a phone that is not a number for the organization's region,
an email that is not an address) is kept exactly as stored; `grassroots person check ORG` lists
them. Nothing is dropped. Rows are read and written in batches by primary key. On SQLite the
table is analyzed after, so that search takes the search keys' indexes.
"""

from django.db import migrations

BATCH = 2000


def normalize_people(apps, schema_editor):
    from grassroots.people.normalize import (
        family_key,
        normal_address,
        normal_email,
        normal_text,
        phone_e164,
        search_key,
    )

    Person = apps.get_model("people", "Person")
    Organization = apps.get_model("organizations", "Organization")
    regions = dict(Organization.objects.values_list("pk", "default_region"))
    last = 0
    while True:
        batch = list(Person.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            break
        last = batch[-1].pk
        changed = []
        for person in batch:
            before = (person.name, person.email, person.phone, person.address, person.search_key, person.family_key)
            person.name = normal_text(person.name) or person.name
            email = normal_email(person.email)
            if "@" in email or not email:
                person.email = email
            phone = phone_e164(person.phone, regions.get(person.organization_id) or "GB")
            if phone is not None:
                person.phone = phone
            person.address = normal_address(person.address)
            person.search_key, person.family_key = search_key(person.name), family_key(person.name)
            if (person.name, person.email, person.phone, person.address, person.search_key, person.family_key) != before:
                changed.append(person)
        Person.objects.bulk_update(changed, ["name", "email", "phone", "address", "search_key", "family_key"])
    if schema_editor.connection.vendor == "sqlite":
        # Without statistics SQLite takes the organization's index for search and reads all its people.
        schema_editor.execute("ANALYZE people_person")


class Migration(migrations.Migration):
    dependencies = [("people", "0004_search_keys"), ("organizations", "0003_unit_path_bytewise")]
    operations = [migrations.RunPython(normalize_people, migrations.RunPython.noop, elidable=True)]
