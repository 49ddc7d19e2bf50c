"""``{% render_section section context %}``: a registered section's template, rendered in the
page's context (request, user, csrf_token) plus the context its provider returned."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def render_section(context, section, section_context):
    included = context.template.engine.get_template(section.template)
    with context.push(section_context):
        return included.render(context)
