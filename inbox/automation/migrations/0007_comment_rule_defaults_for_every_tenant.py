"""The shipped comment rules (off) for every business created before they came with the
business itself. Idempotent: a business that has them (visited the rules page) keeps its own."""

from django.db import migrations


def install(apps, schema_editor):
    from inbox.automation.defaults import comment_rule_defaults

    Tenant = apps.get_model("tenants", "Tenant")
    CommentRule = apps.get_model("automation", "CommentRule")
    for tenant in Tenant.objects.only("pk", "default_language").iterator():
        CommentRule.objects.bulk_create(
            [
                CommentRule(tenant_id=tenant.pk, default_key=key, **fields)
                for key, fields in comment_rule_defaults(tenant.default_language).items()
            ],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0006_comment_rules"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
