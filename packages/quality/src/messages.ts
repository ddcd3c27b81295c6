import type { Dimension, ImprovementCode } from './score.ts';

export type QualityLocale = 'fr' | 'en' | 'ar';

/** The message key of an improvement (`quality.improvement.add_keywords`), for translation catalogues. */
export const improvementMessageKey = (code: ImprovementCode): string => `quality.improvement.${code}`;

/** Labels of the dimensions, French first. */
export const DIMENSION_LABELS: Record<Dimension, Record<QualityLocale, string>> = {
  findability: { fr: 'Trouvabilité', en: 'Findability', ar: 'قابلية العثور' },
  accessibility: { fr: 'Accessibilité', en: 'Accessibility', ar: 'إمكانية الوصول' },
  interoperability: { fr: 'Interopérabilité', en: 'Interoperability', ar: 'قابلية التشغيل البيني' },
  reusability: { fr: 'Réutilisabilité', en: 'Reusability', ar: 'قابلية إعادة الاستخدام' },
  contextuality: { fr: 'Contexte', en: 'Contextuality', ar: 'السياق' },
};

/** What to do, addressed to the institution that publishes the feed. */
export const IMPROVEMENT_MESSAGES: Record<ImprovementCode, Record<QualityLocale, string>> = {
  add_keywords: { fr: 'Ajouter des mots-clés (dcat:keyword)', en: 'Add keywords (dcat:keyword)', ar: 'إضافة كلمات مفتاحية (dcat:keyword)' },
  add_themes: { fr: 'Classer le jeu de données dans un thème (dcat:theme)', en: 'Give the dataset a theme (dcat:theme)', ar: 'تصنيف مجموعة البيانات ضمن موضوع (dcat:theme)' },
  add_spatial: { fr: 'Indiquer la couverture géographique (dct:spatial)', en: 'State the spatial coverage (dct:spatial)', ar: 'تحديد التغطية الجغرافية (dct:spatial)' },
  add_temporal: { fr: 'Indiquer la période couverte (dct:temporal)', en: 'State the period covered (dct:temporal)', ar: 'تحديد الفترة الزمنية المغطاة (dct:temporal)' },
  add_distribution: { fr: 'Publier au moins une distribution (fichier ou service)', en: 'Publish at least one distribution (file or service)', ar: 'نشر توزيع واحد على الأقل (ملف أو خدمة)' },
  fix_access_url: { fr: "Corriger les URL d'accès qui ne répondent pas", en: 'Fix access URLs that do not answer', ar: 'إصلاح روابط الوصول التي لا تستجيب' },
  add_download_url: { fr: 'Ajouter une URL de téléchargement direct (dcat:downloadURL)', en: 'Add a direct download URL (dcat:downloadURL)', ar: 'إضافة رابط تنزيل مباشر (dcat:downloadURL)' },
  fix_download_url: { fr: 'Corriger les URL de téléchargement qui ne répondent pas', en: 'Fix download URLs that do not answer', ar: 'إصلاح روابط التنزيل التي لا تستجيب' },
  add_format: { fr: 'Indiquer le format de chaque distribution (dct:format)', en: 'State the format of each distribution (dct:format)', ar: 'تحديد صيغة كل توزيع (dct:format)' },
  add_media_type: { fr: 'Indiquer le type de média de chaque distribution (dcat:mediaType)', en: 'State the media type of each distribution (dcat:mediaType)', ar: 'تحديد نوع الوسائط لكل توزيع (dcat:mediaType)' },
  use_format_vocabulary: {
    fr: 'Donner le format par le vocabulaire européen des types de fichier ou un type de média IANA',
    en: 'Give the format from the EU file-type vocabulary or as an IANA media type',
    ar: 'تحديد الصيغة من مفردات أنواع الملفات الأوروبية أو كنوع وسائط IANA',
  },
  use_non_proprietary_format: { fr: 'Publier aussi dans un format ouvert (CSV, JSON, XML…)', en: 'Also publish in an open format (CSV, JSON, XML…)', ar: 'النشر أيضًا بصيغة مفتوحة (CSV، JSON، XML…)' },
  use_machine_readable_format: { fr: 'Publier dans un format lisible par machine', en: 'Publish in a machine-readable format', ar: 'النشر بصيغة قابلة للقراءة آليًا' },
  add_description: { fr: 'Ajouter une description (obligatoire en DCAT-AP)', en: 'Add a description (mandatory in DCAT-AP)', ar: 'إضافة وصف (إلزامي في DCAT-AP)' },
  add_access_url: { fr: "Donner une URL d'accès à chaque distribution (obligatoire en DCAT-AP)", en: 'Give every distribution an access URL (mandatory in DCAT-AP)', ar: 'إعطاء كل توزيع رابط وصول (إلزامي في DCAT-AP)' },
  use_theme_uris: { fr: 'Donner les thèmes par leur URI (vocabulaire européen des thèmes)', en: 'Give themes as URIs (EU data-theme vocabulary)', ar: 'تحديد المواضيع بمعرّفاتها URI (مفردات المواضيع الأوروبية)' },
  add_license: { fr: 'Indiquer la licence (dct:license)', en: 'State the licence (dct:license)', ar: 'تحديد الترخيص (dct:license)' },
  use_license_vocabulary: { fr: 'Donner la licence par une URI connue (EU, SPDX, Creative Commons, Licence Ouverte)', en: 'Give the licence as a known URI (EU, SPDX, Creative Commons, Licence Ouverte)', ar: 'تحديد الترخيص بمعرّف URI معروف (EU، SPDX، Creative Commons)' },
  add_access_rights: { fr: "Indiquer les droits d'accès (dct:accessRights)", en: 'State the access rights (dct:accessRights)', ar: 'تحديد حقوق الوصول (dct:accessRights)' },
  use_access_rights_vocabulary: { fr: "Donner les droits d'accès par le vocabulaire européen (PUBLIC, RESTRICTED, NON_PUBLIC)", en: 'Give access rights from the EU vocabulary (PUBLIC, RESTRICTED, NON_PUBLIC)', ar: 'تحديد حقوق الوصول من المفردات الأوروبية (PUBLIC، RESTRICTED، NON_PUBLIC)' },
  add_contact_point: { fr: 'Ajouter un point de contact (dcat:contactPoint)', en: 'Add a contact point (dcat:contactPoint)', ar: 'إضافة جهة اتصال (dcat:contactPoint)' },
  add_publisher: { fr: "Indiquer l'éditeur (dct:publisher)", en: 'State the publisher (dct:publisher)', ar: 'تحديد الناشر (dct:publisher)' },
  add_byte_size: { fr: 'Indiquer la taille des fichiers (dcat:byteSize)', en: 'State the file sizes (dcat:byteSize)', ar: 'تحديد حجم الملفات (dcat:byteSize)' },
  add_issued: { fr: 'Indiquer la date de publication (dct:issued)', en: 'State the publication date (dct:issued)', ar: 'تحديد تاريخ النشر (dct:issued)' },
  add_modified: { fr: 'Indiquer la date de dernière modification (dct:modified)', en: 'State the last modification date (dct:modified)', ar: 'تحديد تاريخ آخر تعديل (dct:modified)' },
};
