"""REST endpoints for orders and bookings: /api/v1/orders/, /api/v1/bookings/."""

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from inbox.commerce import selectors, services
from inbox.commerce.models import Booking, Order
from inbox.commerce.serializers import (
    BookingSerializer,
    BookingTransitionSerializer,
    BookingUpdateSerializer,
    OrderSerializer,
    OrderTransitionSerializer,
    OrderUpdateSerializer,
    line_inputs,
)
from tenants.api import TenantScopedViewSet, conflict
from tenants.api_auth import DefaultCursorPagination
from tenants.idempotency import IdempotentMixin


class BookingCursorPagination(DefaultCursorPagination):
    ordering = ("starts_at", "id")


ErrorSerializer = inline_serializer(
    name="CommerceError",
    fields={
        "error": inline_serializer(
            name="CommerceErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.DictField(),
            },
        )
    },
)
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input."),
    404: OpenApiResponse(ErrorSerializer, description="No such object in this tenant."),
}
CONFLICT = {409: OpenApiResponse(ErrorSerializer, description="Conflicts with the current state.")}


def _conflict(exc: services.CommerceConflict) -> Response:
    return conflict(exc.message, exc.details)


class _CommerceViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantScopedViewSet,
):
    read_permission = "commerce.view"
    write_permission = "commerce.edit"

    def _actor(self):
        return services.actor_from_request(self.request)


@extend_schema_view(
    list=extend_schema(summary="List orders", description="Newest first; cursor-paginated."),
    retrieve=extend_schema(summary="Retrieve an order", responses={200: OrderSerializer, **ERRORS}),
)
class OrderViewSet(_CommerceViewSet):
    """Orders of the tenant, with lines, totals and history."""

    queryset = Order.objects.all()
    serializer_class = OrderSerializer
    filterset_class = selectors.OrderFilter

    def scoped_queryset(self, queryset):
        return selectors.orders_with_details(queryset)

    def _fresh(self, order):
        return self.get_queryset().get(pk=order.pk)

    @extend_schema(
        summary="Create an order",
        description="Starts as `draft`. Totals are computed by the server.",
        request=OrderSerializer,
        responses={201: OrderSerializer, **ERRORS},
    )
    def create(self, request, *args, **kwargs):
        serializer = OrderSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = services.order_create(
            tenant=self.tenant,
            contact=data["contact"],
            conversation=data.get("conversation"),
            currency=data["currency"],
            lines=line_inputs(data["lines"]),
            shipping_address=data.get("shipping_address", ""),
            phone=data.get("phone", ""),
            notes=data.get("notes", ""),
            payment_status=data["payment_status"],
            actor=self._actor(),
        )
        return Response(OrderSerializer(self._fresh(order)).data, status=status.HTTP_201_CREATED)

    def _update(self, request, partial):
        order = self.get_object()
        serializer = OrderUpdateSerializer(
            order, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        lines = data.pop("lines", None)
        fields = {k: v for k, v in data.items() if k in services.ORDER_UPDATABLE}
        try:
            order = services.order_update(
                order=order,
                actor=self._actor(),
                lines=line_inputs(lines) if lines is not None else None,
                **fields,
            )
        except services.CommerceConflict as exc:
            return _conflict(exc)
        return Response(OrderSerializer(self._fresh(order)).data)

    @extend_schema(
        summary="Replace an order's editable fields",
        description="Lines and currency may change only while the order is draft or confirmed "
        "(409 otherwise). Contact and conversation are fixed.",
        request=OrderUpdateSerializer,
        responses={200: OrderSerializer, **ERRORS, **CONFLICT},
    )
    def update(self, request, *args, **kwargs):
        return self._update(request, partial=False)

    @extend_schema(
        summary="Update some of an order's fields",
        request=OrderUpdateSerializer,
        responses={200: OrderSerializer, **ERRORS, **CONFLICT},
    )
    def partial_update(self, request, *args, **kwargs):
        return self._update(request, partial=True)

    @extend_schema(
        summary="Change an order's status",
        description="Allowed: draft → confirmed | cancelled; confirmed → paid | cancelled; "
        "paid → shipped | refunded; shipped → delivered | refunded; delivered → refunded. "
        "Anything else answers 409 with the allowed targets in `details.allowed`.",
        request=OrderTransitionSerializer,
        responses={200: OrderSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        order = self.get_object()
        serializer = OrderTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            order = services.order_transition(
                order=order,
                to_status=serializer.validated_data["status"],
                note=serializer.validated_data.get("note", ""),
                actor=self._actor(),
            )
        except services.CommerceConflict as exc:
            return _conflict(exc)
        return Response(OrderSerializer(self._fresh(order)).data)


@extend_schema_view(
    list=extend_schema(summary="List bookings", description="By start time; cursor-paginated."),
    retrieve=extend_schema(
        summary="Retrieve a booking", responses={200: BookingSerializer, **ERRORS}
    ),
)
class BookingViewSet(_CommerceViewSet):
    """Bookings of the tenant. Times are ISO 8601 with an offset (returned in UTC)."""

    queryset = Booking.objects.all()
    serializer_class = BookingSerializer
    filterset_class = selectors.BookingFilter
    pagination_class = BookingCursorPagination

    def scoped_queryset(self, queryset):
        return selectors.bookings_with_details(queryset)

    def _fresh(self, booking):
        return self.get_queryset().get(pk=booking.pk)

    @extend_schema(
        summary="Create a booking",
        description="Starts as `pending`. A booking of the same resource at an overlapping "
        "time answers 409 (`details.conflicting_booking`).",
        request=BookingSerializer,
        responses={201: BookingSerializer, **ERRORS, **CONFLICT},
    )
    def create(self, request, *args, **kwargs):
        serializer = BookingSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            booking = services.booking_create(
                tenant=self.tenant,
                contact=data["contact"],
                conversation=data.get("conversation"),
                service=data["service"],
                resource=data["resource"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                notes=data.get("notes", ""),
                reminder_minutes_before=data.get("reminder_minutes_before"),
                actor=self._actor(),
            )
        except services.CommerceConflict as exc:
            return _conflict(exc)
        return Response(
            BookingSerializer(self._fresh(booking)).data, status=status.HTTP_201_CREATED
        )

    def _update(self, request, partial):
        booking = self.get_object()
        serializer = BookingUpdateSerializer(
            booking, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        fields = {
            k: v for k, v in serializer.validated_data.items() if k in services.BOOKING_UPDATABLE
        }
        try:
            booking = services.booking_update(booking=booking, actor=self._actor(), **fields)
        except services.CommerceConflict as exc:
            return _conflict(exc)
        return Response(BookingSerializer(self._fresh(booking)).data)

    @extend_schema(
        summary="Replace a booking's editable fields",
        request=BookingUpdateSerializer,
        responses={200: BookingSerializer, **ERRORS, **CONFLICT},
    )
    def update(self, request, *args, **kwargs):
        return self._update(request, partial=False)

    @extend_schema(
        summary="Update some of a booking's fields",
        request=BookingUpdateSerializer,
        responses={200: BookingSerializer, **ERRORS, **CONFLICT},
    )
    def partial_update(self, request, *args, **kwargs):
        return self._update(request, partial=True)

    @extend_schema(
        summary="Change a booking's status",
        description="Allowed: pending → confirmed | cancelled; confirmed → completed | "
        "cancelled | no_show. Anything else answers 409.",
        request=BookingTransitionSerializer,
        responses={200: BookingSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        booking = self.get_object()
        serializer = BookingTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            booking = services.booking_transition(
                booking=booking,
                to_status=serializer.validated_data["status"],
                actor=self._actor(),
            )
        except services.CommerceConflict as exc:
            return _conflict(exc)
        return Response(BookingSerializer(self._fresh(booking)).data)
