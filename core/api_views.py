from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.generics import RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Job


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_scope = "token"

    @extend_schema(
        summary="获取 API 令牌",
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None and getattr(request, "axes_locked_out", False):
            raise Throttled(detail="该账号连续多次登录失败，已暂时锁定，请稍后再试。")
        if user is None or not user.is_active:
            raise ValidationError({"non_field_errors": ["用户名或密码错误。"]})
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "state",
            "done",
            "total",
            "result",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "attempts",
            "delayed",
        ]
        extra_kwargs = {"attempts": {"help_text": "被执行进程领取的次数（进程中断后会重新排队）"}}

    delayed = serializers.BooleanField(
        read_only=True, help_text="消息队列暂不可用，任务已保存，恢复后自动执行"
    )


class JobView(RetrieveAPIView):
    """State and progress of a background job."""

    serializer_class = JobSerializer

    @extend_schema(summary="后台任务状态与进度")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        from .selectors import jobs_visible_to

        return jobs_visible_to(self.request.user)
