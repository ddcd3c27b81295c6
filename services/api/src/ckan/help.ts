/**
 * `help_show` texts of the CKAN-compatible actions Hasad answers: what CKAN's docstring says
 * for each, restricted to what Hasad supports (CKAN answers its own docstrings; these describe
 * Hasad's behaviour, which is what a caller needs). The keys are also the list of actions.
 */
export const CKAN_HELP: Record<string, string> = {
  resource_show: `Returns the metadata of a resource (a distribution of a dataset).

:param id: the resource's id, as package_show lists it`,
  current_package_list_with_resources: `Returns the active packages with their resources, most recently changed first.

:param limit: packages to return (default 10, at most 1000)
:param offset: packages to skip
:param page: the page (from 1) in pages of limit, when offset is not given`,
  license_list: `Returns the licences in use in the catalogue, with their title in the request's language (Accept-Language: fr, ar, en).`,
  package_autocomplete: `Returns packages whose title, keywords or description have words beginning with each word of q (French and Arabic folding), best matches first.

:param q: the text typed so far
:param limit: packages to return (default 10)
:returns: a list of {name, title, match_field, match_displayed}`,
  format_autocomplete: `Returns the resource formats in use that begin with q, most used first.

:param q: the text typed so far
:param limit: formats to return (default 5)`,
  organization_autocomplete: `Returns organisations whose name begins with q or whose title contains it.

:param q: the text typed so far
:param limit: organisations to return (default 20)
:returns: a list of {id, name, title}`,
  package_search: `Searches for packages (Hasad's active datasets).

:param q: plain words: full-text query, ranked (French stemming, accents and Arabic spelling folded); or a Solr field query as fq; *:* or empty for all
:param fq: Solr field query: field:value, field:"a phrase", field:(a OR b), AND (or a space, +), OR, NOT (or -), parentheses, ranges [from TO to] on metadata_modified and metadata_created (ISO dates, NOW-1YEAR, *); fields: text, title, notes, tags, organization, owner_org, groups, res_format, license_id, id, metadata_modified, metadata_created, dataset_type, state; at most 4000 characters, 32 levels and 200 clauses
:param rows: packages to return (default 10, at most 1000)
:param start: offset of the first package (default 0)
:param sort: score desc (with q), metadata_modified desc|asc, title_string asc|desc, name asc|desc, id asc
:param facet.field: JSON list of facets to count: organization, groups, tags, res_format, license_id
:param facet.limit: values per facet (default 50)
:param include_private: accepted; Hasad has no private packages
:returns: {count, sort, facets, search_facets, results}`,
  package_show: `Returns the metadata of a package and its resources.

:param id: Hasad id, package name, or the source's identifier or URI for the dataset`,
  package_list: `Returns the names of the active packages, ordered by id.

:param limit: names to return
:param offset: names to skip`,
  organization_list: `Returns the organisations' names, or dicts with all_fields.

:param all_fields: true for dicts with package_count
:param sort: name asc|desc, title asc|desc, package_count asc|desc
:param limit: organisations to return
:param offset: organisations to skip`,
  organization_show: `Returns an organisation.

:param id: its name (slug) or id
:param include_datasets: true to list its active packages in packages (at most 1000, by title)
:param include_private: accepted; Hasad has no private packages`,
  group_list: `Returns the groups (Hasad's themes) in use, by their EU data-theme code, or dicts with all_fields.

:param all_fields: true for dicts with package_count`,
  group_show: `Returns a group (a theme).

:param id: its name (EU data-theme code such as ENVI), the theme's URI or label, or the group id
:param include_datasets: true to list its active packages in packages (at most 1000, by title)
:param include_private: accepted; Hasad has no private packages`,
  tag_list: `Returns the keywords of the active packages.

:param query: only tags containing this string (case-insensitive)
:param all_fields: true for tag dicts`,
  status_show: 'Returns the site title, URL, the CKAN API version imitated (2.9) and the extensions (none).',
  help_show: `Returns the help text of an action.

:param name: the action's name`,
};
