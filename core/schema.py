"""OpenAPI postprocessing (drf-spectacular): every operation documents the error answers the
API really gives, in the one error shape of API.md."""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string", "example": "提交的数据有误：单位 id 应为整数。"},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "出错的字段及其消息",
                },
            },
        }
    },
}
DESCRIPTIONS = {
    "400": "请求数据有误（逐字段说明）",
    "401": "未登录或令牌无效",
    "403": "角色无权执行此操作，或 CSRF 校验失败",
    "404": "对象不存在或不在管辖范围内",
    "409": "与当前状态冲突（如工作流步骤顺序不对）",
    "413": "上传内容过大",
    "415": "不支持的文件或内容类型",
    "429": "登录失败次数过多，账号暂时锁定",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = ["400", "401", "403", "404"]
            if method in WRITE_METHODS:
                codes.append("409")
                content = (operation.get("requestBody") or {}).get("content", {})
                if any(kind.startswith("multipart/") for kind in content):
                    codes += ["413", "415"]
            if path.endswith("/auth/token/"):
                codes = ["400", "429"]
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                # an operation's own 4xx body (a batch with its row errors) may also be the
                # common error shape (a bad parameter): either one
                for media in (response.get("content") or {}).values():
                    schema = media.get("schema")
                    if code.startswith("4") and schema and schema != ref["application/json"]["schema"]:
                        media["schema"] = {"oneOf": [schema, ref["application/json"]["schema"]]}
            for code in codes:
                responses.setdefault(code, {"description": DESCRIPTIONS[code], "content": ref})
    return result
