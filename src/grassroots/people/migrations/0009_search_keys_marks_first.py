"""Search keys again, with combining marks removed before casefolding (`normalize.search_key`):
a name with a letter that casefolding expands into letters and marks (Greek letters with a
subscript iota, say) is found by the plain letter. Only the keys that change are written, in
batches by primary key."""

from django.db import migrations

BATCH = 5000


def refresh_search_keys(apps, schema_editor):
    from grassroots.people.normalize import family_key, search_key

    Person = apps.get_model("people", "Person")
    last = 0
    while True:
        batch = list(Person.objects.filter(pk__gt=last).order_by("pk").only("id", "name", "search_key", "family_key")[:BATCH])
        if not batch:
            break
        last = batch[-1].pk
        changed = []
        for person in batch:
            if person.name.isascii():
                continue  # an ASCII name's keys do not change
            keys = (search_key(person.name), family_key(person.name))
            if keys != (person.search_key, person.family_key):
                person.search_key, person.family_key = keys
                changed.append(person)
        Person.objects.bulk_update(changed, ["search_key", "family_key"])


class Migration(migrations.Migration):
    dependencies = [("people", "0008_person_name_index_with_id")]
    operations = [migrations.RunPython(refresh_search_keys, migrations.RunPython.noop, elidable=True)]
