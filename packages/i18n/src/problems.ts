import type { ProblemCode } from '@hasad/core';
import type { Texts } from './lang.ts';

/**
 * Each problem a harvest can report, as a sentence for the institution that publishes the feed:
 * what is wrong and what to change in the feed. The adapter's own message (English, with the
 * values involved) stays beside it as the example's detail.
 */
export const PROBLEM_TEXTS: Record<ProblemCode, Texts> = {
  missing_title: {
    fr: 'Le jeu de données n’a pas de titre : il n’est pas publié. Donnez un titre à chaque jeu (dct:title ou la colonne du titre).',
    ar: 'مجموعة البيانات بلا عنوان فلم تنشر. أعطوا كل مجموعة عنوانا (dct:title أو عمود العنوان).',
    en: 'The dataset has no title, so it is not published. Give every dataset a title (dct:title or the title column).',
  },
  missing_identifier: {
    fr: 'Le jeu de données n’a pas d’identifiant stable. Donnez à chaque jeu un identifiant qui ne change pas d’une publication à l’autre.',
    ar: 'مجموعة البيانات بلا معرف ثابت. أعطوا كل مجموعة معرفا لا يتغير من نشر إلى آخر.',
    en: 'The dataset has no stable identifier. Give every dataset an identifier that does not change from one publication to the next.',
  },
  missing_url: {
    fr: 'Une ressource n’a pas d’adresse (URL). Indiquez où la télécharger ou la consulter.',
    ar: 'أحد الموارد بلا عنوان (URL). حددوا أين يمكن تنزيله أو الاطلاع عليه.',
    en: 'A resource has no address (URL). Say where it can be downloaded or read.',
  },
  missing_column: {
    fr: 'Une colonne attendue par la correspondance manque dans le fichier. Ajoutez-la ou corrigez la correspondance des colonnes.',
    ar: 'عمود تنتظره المطابقة غير موجود في الملف. أضيفوه أو صححوا مطابقة الأعمدة.',
    en: 'A column the mapping expects is missing from the file. Add it or correct the column mapping.',
  },
  duplicate_identifier: {
    fr: 'Deux fiches portent le même identifiant : des jeux qui ont chacun leur IRI sont gardés sous leur IRI, sinon seul le premier est gardé. Donnez un identifiant différent à chaque jeu.',
    ar: 'سجلان يحملان المعرف نفسه: المجموعات التي لكل منها IRI خاص بها تُحفظ تحت هذا الـIRI، وإلا يُحفظ الأول فقط. أعطوا كل مجموعة معرفا مختلفا.',
    en: 'Two records carry the same identifier: datasets that each have their own IRI are kept under their IRIs, otherwise only the first is kept. Give each dataset its own identifier.',
  },
  identifier_from_hash: {
    fr: 'Sans identifiant, la fiche a été nommée d’après son contenu : le nom changera si elle change. Ajoutez un identifiant (dct:identifier).',
    ar: 'لعدم وجود معرف، سمي السجل انطلاقا من محتواه وسيتغير الاسم إن تغير. أضيفوا معرفا (dct:identifier).',
    en: 'Without an identifier the record was named from its content, and the name changes when it does. Add an identifier (dct:identifier).',
  },
  invalid_record: {
    fr: 'Une fiche est illisible et a été ignorée. Vérifiez sa syntaxe (XML ou RDF bien formé).',
    ar: 'سجل غير مقروء فتم تجاهله. تحققوا من صياغته (XML أو RDF سليم).',
    en: 'A record could not be read and was skipped. Check its syntax (well-formed XML or RDF).',
  },
  invalid_characters: {
    fr: 'Un champ contenait un caractère invisible interdit (NUL ou moitié de caractère UTF-16) : il a été retiré. Si c’était l’identifiant ou l’adresse, la fiche n’est pas publiée. Corrigez l’encodage de l’export.',
    ar: 'احتوى حقل على حرف غير مرئي ممنوع (NUL أو نصف حرف UTF-16) فحذف. إن كان ذلك في المعرف أو العنوان فلم ينشر السجل. صححوا ترميز التصدير.',
    en: 'A field held a forbidden invisible character (NUL or half of a UTF-16 character); it was removed. If it was in the identifier or address, the record is not published. Fix the export’s encoding.',
  },
  record_refused: {
    fr: 'La base de données a refusé cette fiche (une valeur hors des limites, par exemple une date impossible) : elle n’est pas publiée, les autres le sont. Corrigez la valeur indiquée.',
    ar: 'رفضت قاعدة البيانات هذا السجل (قيمة خارج الحدود، مثل تاريخ مستحيل) فلم ينشر، ونشرت السجلات الأخرى. صححوا القيمة المذكورة.',
    en: 'The database refused this record (a value out of bounds, such as an impossible date); it is not published, the others are. Correct the value named.',
  },
  invalid_row: {
    fr: 'Une ligne du fichier n’a pas le bon nombre de colonnes et a été ignorée. Vérifiez les guillemets et le séparateur.',
    ar: 'سطر من الملف لا يحتوي العدد الصحيح من الأعمدة فتم تجاهله. تحققوا من علامات الاقتباس والفاصل.',
    en: 'A row of the file has the wrong number of columns and was skipped. Check the quoting and the delimiter.',
  },
  invalid_package: {
    fr: 'Le portail a renvoyé un élément qui n’est pas un jeu de données ; il a été ignoré.',
    ar: 'أعادت البوابة عنصرا ليس مجموعة بيانات فتم تجاهله.',
    en: 'The portal returned an item that is not a dataset; it was skipped.',
  },
  invalid_date: {
    fr: 'Une date n’est pas lisible. Écrivez les dates au format AAAA-MM-JJ (ISO 8601).',
    ar: 'تاريخ غير مقروء. اكتبوا التواريخ بصيغة YYYY-MM-DD (ISO 8601).',
    en: 'A date cannot be read. Write dates as YYYY-MM-DD (ISO 8601).',
  },
  invalid_url: {
    fr: 'Une adresse n’est pas une URL valide. Donnez une adresse complète commençant par https://.',
    ar: 'عنوان ليس رابطا صالحا. أعطوا عنوانا كاملا يبدأ بـ https://.',
    en: 'An address is not a valid URL. Give a full address starting with https://.',
  },
  invalid_email: {
    fr: 'Une adresse électronique n’est pas valide. Corrigez-la (nom@domaine).',
    ar: 'عنوان بريد إلكتروني غير صالح. صححوه (name@domain).',
    en: 'An e-mail address is not valid. Correct it (name@domain).',
  },
  invalid_number: {
    fr: 'Un nombre n’est pas lisible. Écrivez-le en chiffres, sans unité ni espace.',
    ar: 'رقم غير مقروء. اكتبوه بالأرقام دون وحدة أو فراغ.',
    en: 'A number cannot be read. Write it in digits, without unit or spaces.',
  },
  invalid_byte_size: {
    fr: 'La taille d’un fichier n’est pas un nombre d’octets. Donnez-la en octets (dcat:byteSize).',
    ar: 'حجم ملف ليس عددا من البايتات. حددوه بالبايت (dcat:byteSize).',
    en: 'A file size is not a number of bytes. Give it in bytes (dcat:byteSize).',
  },
  invalid_media_type: {
    fr: 'Un type de média n’est pas reconnu. Utilisez un type IANA (par exemple text/csv).',
    ar: 'نوع وسائط غير معروف. استعملوا نوعا من IANA (مثلا text/csv).',
    en: 'A media type is not recognised. Use an IANA media type (for example text/csv).',
  },
  invalid_language: {
    fr: 'Une langue n’est pas reconnue. Donnez-la par son code (fr, ar, en) ou son URI.',
    ar: 'لغة غير معروفة. حددوها برمزها (fr، ar، en) أو معرفها URI.',
    en: 'A language is not recognised. Give it by its code (fr, ar, en) or its URI.',
  },
  invalid_bbox: {
    fr: 'Une emprise géographique n’est pas valide. Vérifiez l’ordre et les bornes des coordonnées.',
    ar: 'نطاق جغرافي غير صالح. تحققوا من ترتيب الإحداثيات وحدودها.',
    en: 'A bounding box is not valid. Check the order and range of the coordinates.',
  },
  invalid_geometry: {
    fr: 'Une géométrie n’est pas lisible. Donnez-la en WKT ou GeoJSON valide.',
    ar: 'شكل هندسي غير مقروء. قدموه بصيغة WKT أو GeoJSON صالحة.',
    en: 'A geometry cannot be read. Give it as valid WKT or GeoJSON.',
  },
  invalid_xml: {
    fr: 'Une partie du document XML est mal formée. Validez le document avant de le publier.',
    ar: 'جزء من وثيقة XML غير سليم. تحققوا من صحة الوثيقة قبل نشرها.',
    en: 'Part of the XML document is not well-formed. Validate the document before publishing it.',
  },
  multiple_values: {
    fr: 'Un champ qui n’admet qu’une valeur en a plusieurs ; la première est gardée. Gardez-en une seule.',
    ar: 'حقل يقبل قيمة واحدة يحتوي عدة قيم؛ احتفظ بالأولى. أبقوا على قيمة واحدة.',
    en: 'A field that takes one value has several; the first is kept. Keep only one.',
  },
  unsupported_value: {
    fr: 'Une valeur n’a pas la forme attendue et a été écartée. Vérifiez le champ indiqué.',
    ar: 'قيمة ليست بالشكل المنتظر فتم استبعادها. تحققوا من الحقل المذكور.',
    en: 'A value does not have the expected form and was dropped. Check the field named.',
  },
  description_truncated: {
    fr: 'La description est trop longue et a été coupée. Raccourcissez-la.',
    ar: 'الوصف طويل جدا فتم اقتطاعه. اختصروه.',
    en: 'The description is too long and was cut. Shorten it.',
  },
  private_package: {
    fr: 'Ce jeu est privé sur le portail : il n’est pas moissonné. Rendez-le public s’il doit figurer au catalogue.',
    ar: 'هذه المجموعة خاصة في البوابة فلا تحصد. اجعلوها عامة إن كان يجب أن تظهر في الفهرس.',
    en: 'This dataset is private on the portal, so it is not harvested. Make it public if it belongs in the catalogue.',
  },
  package_not_active: {
    fr: 'Ce jeu est supprimé ou en brouillon sur le portail ; il est ignoré.',
    ar: 'هذه المجموعة محذوفة أو مسودة في البوابة؛ يتم تجاهلها.',
    en: 'This dataset is deleted or a draft on the portal; it is skipped.',
  },
  harvest_source: {
    fr: 'Cette fiche du portail décrit une source de moissonnage, pas un jeu de données ; elle est ignorée.',
    ar: 'هذا السجل في البوابة يصف مصدر حصاد وليس مجموعة بيانات؛ يتم تجاهله.',
    en: 'This portal record describes a harvest source, not a dataset; it is skipped.',
  },
  not_found: {
    fr: 'Le service ne connaît pas la fiche demandée. Vérifiez son identifiant.',
    ar: 'لا تعرف الخدمة السجل المطلوب. تحققوا من معرفه.',
    en: 'The service does not know the record asked for. Check its identifier.',
  },
  csv_formula_cell: {
    fr: 'Une cellule commence comme une formule de tableur (=, +, -, @) ; elle est gardée comme texte. Retirez ce caractère en tête si ce n’est pas voulu.',
    ar: 'خلية تبدأ كصيغة جدول (=، +، -، @)؛ احتفظ بها كنص. أزيلوا هذا الحرف في البداية إن لم يكن مقصودا.',
    en: 'A cell starts like a spreadsheet formula (=, +, -, @); it is kept as text. Remove that first character unless it is meant.',
  },
  csv_mapping: {
    fr: 'Correspondance des colonnes utilisée pour lire le fichier (information).',
    ar: 'مطابقة الأعمدة المستعملة لقراءة الملف (معلومة).',
    en: 'The column mapping used to read the file (information).',
  },
  csv_no_title_column: {
    fr: 'Aucune colonne de titre n’a été trouvée. Nommez une colonne « titre » ou indiquez-la dans la correspondance.',
    ar: 'لم يعثر على عمود للعنوان. سموا عمودا « العنوان » أو حددوه في المطابقة.',
    en: 'No title column was found. Name a column "title" or set it in the mapping.',
  },
  csv_dialect: {
    fr: 'Séparateur et guillemets devinés à la lecture du fichier (information).',
    ar: 'تم تخمين الفاصل وعلامات الاقتباس عند قراءة الملف (معلومة).',
    en: 'Delimiter and quoting guessed while reading the file (information).',
  },
  csv_encoding: {
    fr: 'Le fichier n’est pas en UTF-8 ; son encodage a été deviné. Enregistrez-le en UTF-8.',
    ar: 'الملف ليس بترميز UTF-8 فتم تخمين ترميزه. احفظوه بترميز UTF-8.',
    en: 'The file is not UTF-8; its encoding was guessed. Save it as UTF-8.',
  },
  csv_content_type: {
    fr: 'Le serveur annonce une page web, mais le fichier se lit comme un CSV. Servez-le en text/csv.',
    ar: 'يعلن الخادم صفحة ويب لكن الملف يقرأ كملف CSV. قدموه بنوع text/csv.',
    en: 'The server labels the file as a web page, but it reads as CSV. Serve it as text/csv.',
  },
  ckan_mapping: {
    fr: 'Correspondance CKAN utilisée pour lire le portail (information).',
    ar: 'مطابقة CKAN المستعملة لقراءة البوابة (معلومة).',
    en: 'The CKAN mapping used to read the portal (information).',
  },
  soap_mapping: {
    fr: 'Correspondance SOAP utilisée pour lire le service (information).',
    ar: 'مطابقة SOAP المستعملة لقراءة الخدمة (معلومة).',
    en: 'The SOAP mapping used to read the service (information).',
  },
  soap_version: {
    fr: 'Le service a répondu dans une autre version de SOAP que celle demandée (information).',
    ar: 'أجابت الخدمة بإصدار SOAP غير المطلوب (معلومة).',
    en: 'The service answered in another SOAP version than the one asked (information).',
  },
  csw_mapping: {
    fr: 'Correspondance ISO 19139 utilisée pour lire le géoportail (information).',
    ar: 'مطابقة ISO 19139 المستعملة لقراءة البوابة الجغرافية (معلومة).',
    en: 'The ISO 19139 mapping used to read the geoportal (information).',
  },
  csw_plan: {
    fr: 'Manière d’interroger le géoportail retenue (information).',
    ar: 'طريقة استجواب البوابة الجغرافية المعتمدة (معلومة).',
    en: 'How the geoportal is queried (information).',
  },
  csw_capabilities: {
    fr: 'Ce que le géoportail déclare savoir faire (information).',
    ar: 'ما تعلن البوابة الجغرافية قدرتها عليه (معلومة).',
    en: 'What the geoportal says it can do (information).',
  },
  csw_endpoint: {
    fr: 'L’adresse du service CSW a été corrigée d’après sa description. Enregistrez l’adresse du service lui-même.',
    ar: 'صحح عنوان خدمة CSW انطلاقا من وصفها. سجلوا عنوان الخدمة نفسها.',
    en: 'The CSW address was corrected from the service’s description. Register the service’s own address.',
  },
  csw_unexpected_record: {
    fr: 'Le géoportail a renvoyé une fiche d’un type non demandé ; elle est ignorée.',
    ar: 'أعادت البوابة الجغرافية سجلا من نوع غير مطلوب؛ يتم تجاهله.',
    en: 'The geoportal returned a record of a type not asked for; it is skipped.',
  },
  csw_count: {
    fr: 'Nombre de fiches annoncé par le géoportail (information).',
    ar: 'عدد السجلات الذي أعلنته البوابة الجغرافية (معلومة).',
    en: 'Number of records the geoportal announced (information).',
  },
  csw_count_changed: {
    fr: 'Le nombre de fiches a changé pendant la lecture ; rien n’est retiré cette fois.',
    ar: 'تغير عدد السجلات أثناء القراءة؛ لا يسحب شيء هذه المرة.',
    en: 'The number of records changed during the harvest; nothing is withdrawn this time.',
  },
  csw_count_mismatch: {
    fr: 'Une page n’a pas le nombre de fiches qu’elle annonce. Vérifiez la pagination du service.',
    ar: 'صفحة لا تحتوي عدد السجلات الذي تعلنه. تحققوا من ترقيم صفحات الخدمة.',
    en: 'A page does not hold the number of records it announces. Check the service’s paging.',
  },
  csw_short_listing: {
    fr: 'La liste s’est arrêtée avant le nombre annoncé ; rien n’est retiré cette fois.',
    ar: 'توقفت القائمة قبل العدد المعلن؛ لا يسحب شيء هذه المرة.',
    en: 'The listing ended before the announced count; nothing is withdrawn this time.',
  },
  csw_short_page: {
    fr: 'Une page a renvoyé moins de fiches que demandé. Vérifiez la pagination du service.',
    ar: 'أعادت صفحة سجلات أقل من المطلوب. تحققوا من ترقيم صفحات الخدمة.',
    en: 'A page returned fewer records than asked. Check the service’s paging.',
  },
  csw_dublin_core: {
    fr: 'Les fiches sont lues en Dublin Core (csw:Record), plus pauvre que l’ISO 19139 : ni contacts, ni contraintes, ni thésaurus. Demandez au géoportail de proposer l’ISO 19139 ou le DCAT.',
    ar: 'تقرأ السجلات بصيغة Dublin Core ‏(csw:Record)، وهي أفقر من ISO 19139: لا جهات اتصال ولا قيود ولا مكانز. اطلبوا من البوابة الجغرافية توفير ISO 19139 أو DCAT.',
    en: 'Records are read as Dublin Core (csw:Record), thinner than ISO 19139: no contacts, constraints or thesauri. Ask the geoportal to offer ISO 19139 or DCAT.',
  },
  iso_invalid: {
    fr: 'La fiche ISO 19139 n’est pas conforme et a été ignorée. Validez-la contre le schéma ISO.',
    ar: 'سجل ISO 19139 غير مطابق فتم تجاهله. تحققوا منه وفق مخطط ISO.',
    en: 'The ISO 19139 record does not conform and was skipped. Validate it against the ISO schema.',
  },
  iso_no_format: {
    fr: 'La fiche ne donne pas le format de ses données. Renseignez distributionFormat.',
    ar: 'السجل لا يحدد صيغة بياناته. املؤوا distributionFormat.',
    en: 'The record does not give the format of its data. Fill in distributionFormat.',
  },
  iso_no_keyword: {
    fr: 'La fiche n’a pas de mot-clé. Ajoutez des mots-clés (descriptiveKeywords).',
    ar: 'السجل بلا كلمات مفتاحية. أضيفوا كلمات مفتاحية (descriptiveKeywords).',
    en: 'The record has no keyword. Add keywords (descriptiveKeywords).',
  },
  iso_service_type: {
    fr: 'Le type de service n’est pas un type INSPIRE (view, download, discovery…). Corrigez serviceType.',
    ar: 'نوع الخدمة ليس من أنواع INSPIRE (view، download، discovery…). صححوا serviceType.',
    en: 'The service type is not an INSPIRE type (view, download, discovery…). Correct serviceType.',
  },
  invalid_iri: {
    fr: 'Une adresse (IRI) contient des caractères interdits (espace, guillemet…) ; elle a été lue en les encodant (%20). Corrigez-la dans le flux, par exemple tel:+212522000000 sans espaces.',
    ar: 'عنوان (IRI) يحتوي أحرفا ممنوعة (مسافة، علامة اقتباس…)؛ قرئ بعد ترميزها (%20). صححوه في الرابط، مثلا tel:+212522000000 بلا مسافات.',
    en: 'An address (IRI) holds forbidden characters (a space, a quote…); it was read with them encoded (%20). Correct it in the feed, e.g. tel:+212522000000 without spaces.',
  },
  no_datasets: {
    fr: 'Le flux a été lu mais ne contient aucun jeu de données. Vérifiez l’adresse et le contenu publié.',
    ar: 'تمت قراءة الرابط لكنه لا يحتوي أي مجموعة بيانات. تحققوا من العنوان ومن المحتوى المنشور.',
    en: 'The feed was read but holds no dataset. Check the address and what is published there.',
  },
  no_valid_records: {
    fr: 'Aucune fiche du flux n’était valide : rien n’a été chargé. Corrigez les problèmes listés.',
    ar: 'لم يكن أي سجل في الرابط صالحا فلم يحمل شيء. صححوا المشاكل المذكورة.',
    en: 'No record of the feed was valid, so nothing was loaded. Fix the problems listed.',
  },
  no_changes: {
    fr: 'Aucun jeu n’a changé depuis le dernier moissonnage (information).',
    ar: 'لم تتغير أي مجموعة منذ آخر حصاد (معلومة).',
    en: 'No dataset changed since the last harvest (information).',
  },
  short_page: {
    fr: 'Une page est vide alors que le portail annonce d’autres jeux ; la lecture s’est arrêtée là. Vérifiez la pagination.',
    ar: 'صفحة فارغة بينما تعلن البوابة مجموعات أخرى؛ توقفت القراءة عندها. تحققوا من ترقيم الصفحات.',
    en: 'A page is empty although the portal announces more datasets; reading stopped there. Check the paging.',
  },
  count_changed: {
    fr: 'Le nombre de jeux a changé pendant la lecture ; rien n’est retiré cette fois.',
    ar: 'تغير عدد المجموعات أثناء القراءة؛ لا يسحب شيء هذه المرة.',
    en: 'The number of datasets changed during the harvest; nothing is withdrawn this time.',
  },
  paging_loop: {
    fr: 'La page suivante renvoie à une page déjà lue ; la lecture s’est arrêtée. Corrigez le lien « page suivante ».',
    ar: 'تحيل الصفحة التالية إلى صفحة مقروءة سابقا؛ توقفت القراءة. صححوا رابط « الصفحة التالية ».',
    en: 'The next page points back to a page already read; reading stopped. Correct the "next page" link.',
  },
  empty_page: {
    fr: 'Une page de la liste n’a donné aucun jeu alors que les autres en ont ; la liste est tenue pour partielle et rien n’est retiré cette fois. Vérifiez que cette page répond bien.',
    ar: 'لم تعط صفحة من القائمة أي مجموعة بينما تحتوي الصفحات الأخرى على مجموعات؛ تعتبر القائمة جزئية ولا يسحب شيء هذه المرة. تحققوا من أن هذه الصفحة تجيب جيدا.',
    en: 'A page of the listing gave no dataset while the others did; the listing is taken as partial and nothing is withdrawn this time. Check that this page answers properly.',
  },
  invalid_next_url: {
    fr: 'Le lien vers la page suivante n’est pas une adresse valide ; la lecture s’est arrêtée. Corrigez-le.',
    ar: 'رابط الصفحة التالية ليس عنوانا صالحا؛ توقفت القراءة. صححوه.',
    en: 'The link to the next page is not a valid address; reading stopped. Correct it.',
  },
  invalid_resume_url: {
    fr: 'La reprise n’a pas pu repartir de la page enregistrée ; la lecture a repris au début.',
    ar: 'تعذر الاستئناف من الصفحة المسجلة؛ استؤنفت القراءة من البداية.',
    en: 'The harvest could not resume at the saved page; it started again from the beginning.',
  },
  invalid_last_run: {
    fr: 'La date du dernier moissonnage n’est pas lisible ; tout le portail est relu.',
    ar: 'تاريخ آخر حصاد غير مقروء؛ تعاد قراءة البوابة كاملة.',
    en: 'The date of the last harvest cannot be read; the whole portal is read again.',
  },
  incremental_listing: {
    fr: 'Seuls les jeux modifiés depuis le dernier moissonnage ont été lus (information).',
    ar: 'قرئت المجموعات المعدلة منذ آخر حصاد فقط (معلومة).',
    en: 'Only the datasets modified since the last harvest were read (information).',
  },
  incremental_full_run: {
    fr: 'Tout le portail a été relu, pas seulement les changements (information).',
    ar: 'أعيدت قراءة البوابة كاملة وليس التغييرات فقط (معلومة).',
    en: 'The whole portal was read again, not only the changes (information).',
  },
  retry_after: {
    fr: 'Le serveur a demandé d’attendre avant de revenir (Retry-After) ; le moissonnage a patienté (information).',
    ar: 'طلب الخادم الانتظار قبل العودة (Retry-After)؛ انتظر الحصاد (معلومة).',
    en: 'The server asked to wait before coming back (Retry-After); the harvest waited (information).',
  },
  source_url_query_ignored: {
    fr: 'Les paramètres de l’adresse de la source sont ignorés. Mettez les filtres dans la configuration (fq).',
    ar: 'يتم تجاهل معاملات عنوان المصدر. ضعوا عوامل التصفية في الإعدادات (fq).',
    en: 'The parameters of the source’s address are ignored. Put filters in the configuration (fq).',
  },
};
