from rest_framework import serializers

from inbox.models import Label


class LabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "name", "color", "description", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_name(self, value):
        tenant = self.context["request"].tenant
        clash = Label.objects.for_tenant(tenant).filter(name__iexact=value.strip())
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("A label with this name already exists.")
        return value.strip()
