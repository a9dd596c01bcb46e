## Error titles, by error code (the codes stay English identifiers)

payment-method-not-offered = Esta tienda no acepta pagos por { $text }.
refund-out-of-range = Reembolsa entre 0,01 y lo que queda por reembolsar ({ $max } céntimos).
tracking-url-invalid = Indica el enlace de seguimiento como una dirección https://.
tracking-only-when-shipping = El seguimiento solo acompaña al estado enviado.
weight-out-of-range = Indica un peso entre 0 y { $max } gramos.
last-shipping-method = Una tienda necesita al menos un método de envío: añade otro antes de borrar este.
no-shipping-there = Ningún método de envío entrega este pedido en { $country }.

error-malformed_json = JSON mal formado
error-invalid_parameter = Parámetro no válido
error-bad_request = Petición incorrecta
error-unauthorized = No has iniciado sesión
error-invalid_credentials = Correo o contraseña incorrectos
error-forbidden = No permitido
error-csrf_rejected = Petición desde otro sitio rechazada
error-route_not_found = Esta página no existe
error-product_not_found = Producto no encontrado
error-order_not_found = Pedido no encontrado
error-not_found = No encontrado
error-method_not_allowed = Método no permitido
error-request_timeout = La petición tardó demasiado
error-already_exists = Ya existe
error-insufficient_stock = No hay existencias suficientes
error-invalid_transition = Cambio de estado no permitido
error-payload_too_large = Petición demasiado grande
error-unsupported_media_type = Tipo de contenido no admitido
error-validation_failed = Datos no válidos
error-cart_empty = El carrito está vacío
error-rate_limited = Demasiados intentos
error-internal_error = Error interno
error-unavailable = Servicio no disponible

## Mensajes de campo y detalles: lo que la tienda rechaza (domain::message::ShopText)

field-empty = no debe estar vacío
field-too-short = debe tener al menos { $min } caracteres
field-too-long = debe tener como máximo { $max } caracteres
field-control-characters = no debe contener caracteres de control
field-email-invalid = debe ser una dirección de correo válida, como nombre@example.com
field-password-nul = no debe contener caracteres NUL
field-password-not-given = es obligatoria (como máximo 1024 caracteres)
field-phone-invalid = debe tener de 6 a 15 dígitos con un + inicial opcional, p. ej. +34 600 123 456
field-category-invalid = debe tener de 1 a 40 caracteres entre a-z, 0-9 y '-', p. ej. home-garden
field-category-unknown = `{ $text }` no es un nombre de categoría
field-price-out-of-range = debe estar entre 0 y { $max } unidades menores (céntimos)
field-stock-out-of-range = debe estar entre 0 y { $max }
field-currency-not-sold = esta tienda solo vende en { $currency }
field-photo-url-invalid = debe ser una URL http(s) absoluta o una ruta bajo /static/
field-product-id-invalid = debe ser un id de producto
field-too-many = debe tener como mucho { $max } elementos
field-repeated = «{ $text }» aparece más de una vez
field-variant-unknown = «{ $text }» no es una variante de este producto
field-variant-required = elige una de las variantes de este producto
field-variant-not-sold = «{ $text }» ya no está a la venta
field-sku-invalid = debe tener de 1 a { $max } letras, cifras, puntos, guiones o guiones bajos
field-photo-unknown = «{ $text }» no es una de las fotos de este producto
field-options-mismatch = debe dar un valor de cada opción: { $options }
field-quantity-out-of-range = debe ser un número entero de { $min } a { $max }
field-guest-email-missing = los invitados indican un correo para la confirmación
field-reset-link-invalid = este enlace para restablecer la contraseña es desconocido, ya se usó o ha caducado; pide uno nuevo
field-search-too-long = debe tener como máximo { $max } caracteres
field-min-above-max = no debe superar max_price ({ $min } > { $max })
field-not-a-boolean = `{ $text }` no es true ni false
field-sort-unknown = `{ $text }` no es un orden; usa uno de: { $orders }
field-negative = no debe ser negativo
field-not-minor-units = `{ $text }` no es un número entero de unidades menores (céntimos)
session-invalid = el token de sesión no es válido o ha caducado
session-missing = la sesión no existe
session-ended = la sesión ha terminado; vuelve a iniciar sesión
admin-only = esto requiere una cuenta de administrador
staff-only = esto requiere una cuenta de personal o de administrador
session-not-found = no hay ninguna sesión activa { $id }
account-not-found = ninguna cuenta tiene el correo { $email }
password-wrong = la contraseña no es correcta
admin-cannot-erase = una cuenta de administrador no puede borrarse a sí misma: puede hacerlo otro administrador, o retira antes el rol (tienda admin revoke)

## Detalles y mensajes de campo de la capa HTTP (http::text::HttpText).
## Los argumentos `reason` son palabras de una biblioteca, en inglés (serde, axum).

detail-invalid-fields = valor no válido en { $fields }
detail-internal = algo ha fallado por nuestra parte; indica el id del error al informar de ello
detail-store-unavailable = el almacén de datos no respondió; inténtalo de nuevo en breve
detail-product-not-found = el producto { $id } no existe
detail-account-exists = ya existe una cuenta con este { $what ->
        [email] correo electrónico
       *[other] { $what }
    }
field-already-registered = ya está registrado
detail-stock-short = solo quedan { $available } del producto { $product_id }; se pidieron { $requested }
detail-cart-line-missing = el carrito no tiene ninguna línea del producto { $product_id }
detail-line-ambiguous = el carrito tiene varias líneas del producto { $product_id }: indica la variante
detail-sku-taken = el SKU { $sku } ya es de otro producto
field-cart-full = un carrito admite como máximo { $max } productos
detail-cart-empty = el carrito está vacío
field-address-missing = es obligatoria: indícala con PUT /cart/address o envíala con el pedido
detail-order-not-found = el pedido { $number } no existe
detail-transition-refused = un pedido en estado { $from } no puede pasar a { $to }
detail-credentials-wrong = el correo o la contraseña son incorrectos
detail-no-route = no existe la ruta { $path }
detail-method-refused = { $path } no admite { $method }
detail-body-too-large = el cuerpo de la petición es demasiado grande
detail-too-slow = la petición tardó demasiado
detail-status-refused = la petición fue rechazada (HTTP { $status })
detail-cross-site = se rechazan los formularios enviados desde otros sitios; envía la petición desde este sitio
detail-no-host = la petición no tiene cabecera Host
detail-body-unreadable = no se pudo leer el cuerpo de la petición
detail-body-empty = el cuerpo de la petición está vacío; se esperaba un objeto JSON
detail-json-invalid = el cuerpo no es JSON válido: { $reason }
field-unreadable = valor no aceptado: { $reason }
detail-query-unreadable = no se pudo leer la cadena de consulta: { $reason }
detail-path-unreadable = no se pudo leer la ruta: { $reason }
detail-send-json = envía el cuerpo como application/json
detail-send-json-or-form = envía el cuerpo como application/json o como formulario
detail-id-malformed = `{ $text }` no es un id bien formado
detail-stock-ids-missing = indica los productos a seguir: ids=ID,ID,…
detail-stock-ids-too-many = sigue como mucho { $max } productos a la vez
detail-stock-streams-full = hay demasiadas conexiones de stock en vivo abiertas; inténtalo de nuevo en un momento
detail-limit-out-of-range = limit debe estar entre 1 y { $max }
detail-offset-too-large = offset es demasiado grande
detail-too-many-attempts = demasiados intentos de { $scope }; inténtalo de nuevo dentro de { $seconds } s
detail-no-token = inicia sesión primero: no se envió ningún token de sesión
detail-metrics-token = `/metrics` necesita el token bearer configurado en metrics.token
detail-neither-id-nor-category = `{ $text }` no es un id de producto ni un nombre de categoría (a-z, 0-9, '-')
detail-idempotency-key-invalid = la cabecera Idempotency-Key debe tener de 1 a 200 caracteres ASCII visibles
field-email-only-for-guests = solo los invitados indican un correo: el pedido va al de la cuenta
detail-order-status-unknown = `{ $text }` no es un estado de pedido (placed, paid, shipped, delivered, cancelled)
detail-order-number-invalid = `{ $text }` no es un número de pedido
detail-order-needs-login = inicia sesión primero o abre el enlace del correo de confirmación
detail-mail-status-unknown = `{ $text }` no es pending, sent ni failed
detail-failed-mail-not-found = no hay ningún correo fallido { $id }
detail-no-static-file = no existe ese archivo estático
field-language-not-offered = debe ser uno de { $languages }
field-token-malformed = falta o está mal formado
detail-search-invalid = búsqueda no válida
detail-not-an-email = `{ $text }` no es una dirección de correo
detail-channel-forbidden = solo ese cliente y el personal pueden abrir este canal
detail-before-not-message-id = before debe ser un id de mensaje
detail-too-many-sockets = ya tienes { $count ->
        [one] una conexión de chat abierta
       *[other] { $count } conexiones de chat abiertas
    }

## Tramas de error del chat

chat-binary-frame = no se aceptan tramas binarias; envía texto JSON
chat-frame-invalid = se esperaba {"{"}"body": "..."{"}"}: { $reason }
chat-body-invalid = body: { $message }
chat-recipient-staff-only = solo el personal elige un destinatario
chat-recipient-not-email = to debe ser una dirección de correo
chat-not-stored = no se pudo guardar el mensaje; inténtalo de nuevo
chat-missed = esta conexión se quedó atrás y perdió { $count ->
        [one] un mensaje
       *[other] { $count } mensajes
    }; vuelve a cargar el historial

## Fotos de productos

photo-empty = la foto { $n } está vacía
photo-too-big = la foto { $n } ocupa más de { $max } bytes
photo-unsupported = la foto { $n } no es una imagen JPEG, PNG ni WebP
photo-unsupported-kind = la foto { $n } es { $kind }, no una imagen JPEG, PNG ni WebP
photo-trailing-data = la foto { $n } tiene datos tras el final de la imagen (hay algo escondido en el archivo)
photo-corrupt = la foto { $n } está truncada o dañada
photo-too-many-pixels = la foto { $n } tiene { $width }×{ $height } píxeles; como máximo { $max } megapíxeles
photo-too-much-memory = la foto { $n } necesitaría demasiada memoria para abrirse
photo-too-many = un producto tiene como máximo { $max } fotos; así tendría { $count }
photo-missing = envía una o más fotos como partes multipart/form-data llamadas `photo`
photo-order-not-permutation = debe nombrar cada foto del producto exactamente una vez
photo-not-found = no existe la foto { $id }
photo-used-by-variants = es la foto que se muestra para { $skus }: elige antes otra foto para ellas
error-payment_mismatch = El pago no corresponde al pedido
error-payment_refused = Pago rechazado
error-payment_unavailable = Proveedor de pagos no disponible
detail-payment-mismatch = El pago no corresponde al pedido { $number }.
detail-payment-refused = El proveedor de pagos lo rechazó; su mensaje está en provider_message.
detail-payment-unavailable = El proveedor de pagos no respondió. Inténtalo de nuevo en un momento.
detail-event-seen = El evento { $event_id } ya se procesó.
error-webhook_refused = Webhook rechazado
detail-stripe-off = Esta tienda no acepta pagos con tarjeta.
detail-webhook-refused = Se rechazó la entrega del webhook: { $reason }.
detail-shipping-id-invalid = El identificador de un método de envío tiene de 1 a 40 minúsculas, cifras y guiones.
detail-shipping-method-missing = Ningún método de envío tiene el identificador { $id }.

## Direcciones y métodos de envío

field-country-invalid = `{ $text }` no es un código de país ISO 3166-1 alfa-2, como ES o US
field-postal-code-invalid = solo puede tener letras, cifras, espacios y guiones
field-address-phone-invalid = solo puede tener cifras, espacios y + - ( ) ., p. ej. +34 600 123 456
field-country-in-two-zones = { $text } ya está en la zona «{ $zone }»
field-catch-all-zone-repeated = solo una zona puede dejar vacía su lista de países; «{ $zone }» ya lo hace (cubre todos los que no nombra otra zona)
field-not-positive = debe ser mayor que 0
field-not-ascending = debe ser mayor que el anterior ({ $previous })
field-zone-price-missing = indica un precio, o tramos de peso que ponen el precio según el peso
field-not-a-whole-number = debe ser un número entero (o quedar vacío)
field-day-invalid = `{ $text }` no es un día escrito AAAA-MM-DD
field-day-out-of-range = debe ser un día entre los años { $min } y { $max }
field-day-before-from = no debe ser anterior a from ({ $to } < { $from })

## Back office: orders and customers

field-order-number-invalid = `{ $text }` no es un número de pedido (un número entero mayor que 0)
account-disabled = Esta cuenta está desactivada. Escribe a la tienda si crees que es un error.
cannot-disable-self = No puedes desactivar tu propia cuenta.
cannot-disable-admin = La cuenta de un administrador no se puede desactivar; hazlo cliente antes (tienda admin revoke).
error-account_disabled = Cuenta desactivada
## Panel de ventas

stats-range-too-long = un intervalo abarca como mucho { $max } días
## Importación CSV del catálogo

csv-empty = el archivo está vacío: necesita una línea de cabecera con las columnas
csv-no-rows = el archivo tiene cabecera y ninguna fila
csv-unknown-column = no es una columna que la importación conozca; las columnas son { $columns }
csv-missing-column = es una columna obligatoria y la cabecera no la nombra
csv-repeated-column = aparece dos veces en la cabecera
csv-not-utf8 = no es texto UTF-8 (guarda el archivo como CSV UTF-8)
csv-record-too-long = esta fila ocupa más de { $max } bytes
csv-field-count = esta fila tiene { $count } celdas; la cabecera tiene { $expected }
csv-duplicate-sku = este SKU ya está en la línea { $line }
csv-not-integer = debe ser un número entero
csv-not-amount = debe ser un importe como 19.99 (dos decimales como mucho, sin signo)
csv-tax-class-unknown = debe ser standard o reduced
csv-option-incomplete = una opción necesita su nombre y su valor
csv-differs = no coincide con la línea { $line } del mismo producto
csv-sku-elsewhere = este SKU pertenece al producto { $product_id }
csv-no-file = envía el archivo CSV como cuerpo (text/csv) o como parte de formulario llamada `file`
csv-file-too-big = el archivo ocupa más de { $max } bytes
csv-refused = el archivo tiene { $count } problemas; no se importó nada
