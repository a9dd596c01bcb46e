## Layout: header, navigation, footer

nav-search-label = Buscar productos
nav-search-button = Buscar
nav-catalog = Catálogo
nav-cart = Carrito
nav-cart-items = { $count ->
    [0] Carrito, vacío
    [one] Carrito, 1 artículo
   *[other] Carrito, { $count } artículos
}
nav-skip = Saltar al contenido
js-failed = Algo ha fallado.
js-session-ended = Tu sesión ha terminado. Vuelve a iniciar sesión.
nav-orders = Pedidos
nav-my-orders = Mis pedidos
nav-chat = Chat de ayuda
nav-admin-products = Productos
nav-admin-mail = Correo
nav-admin-config = Configuración
nav-admin-suffix = (admin)
nav-staff-suffix = (personal)
nav-logout = Cerrar sesión
nav-login = Entrar o registrarse
footer-prices = Precios en { $currency }
language-label = Idioma
language-switch = Cambiar

## Page titles

title-welcome = Bienvenida
title-catalog = Catálogo
title-cart = Tu carrito
title-search = Buscar
title-search-for = Buscar: { $text }
title-forgot = ¿Olvidaste tu contraseña?
title-reset = Elige una contraseña nueva
title-order = Pedido { $number }
title-orders-all = Todos los pedidos
title-orders-mine = Mis pedidos

## Descriptions for search engines

describe-page = { $title } · { $shop }
describe-category = { $category } en { $shop }: { $names }
describe-catalog = { $shop }: { $categories }

## Home: log in and register

home-heading = Te damos la bienvenida a { $shop }
login-heading = Entrar
field-email = Correo electrónico
field-password = Contraseña
login-button = Entrar
forgot-link = ¿Olvidaste tu contraseña?
register-heading = Crear una cuenta
field-name = Nombre completo
field-phone = Teléfono
field-new-password = Contraseña
register-button = Crear cuenta

## Catalog and product cards

catalog-all = Todo
catalog-empty = Todavía no hay productos aquí.
stock-count = { $count ->
    [one] { $count } disponible
   *[other] { $count } disponibles
}
stock-sold-out-title = Agotado
paging-previous = ← anterior
paging-next = siguiente →
product-quantity = Cantidad
price-from = desde { $price }
product-add = Añadir al carrito

## Search

search-results-for = Resultados para «{ $text }»
search-all = Todos los productos
search-from = Desde
search-to = hasta
search-lowest = Precio mínimo en céntimos
search-highest = Precio máximo en céntimos
search-in-stock = Solo disponibles
search-sort = Ordenar por
search-apply = Aplicar
search-categories = Categorías
search-total = { $count ->
    [one] { $count } producto
   *[other] { $count } productos
}
search-nothing = No hay coincidencias. Prueba con menos palabras, o con alguno de estos:
search-nothing-for = Nada coincide con «{ $text }». Prueba con menos palabras, o con alguno de estos:
sort-relevance = Más relevantes
sort-price_asc = Precio, de menor a mayor
sort-price_desc = Precio, de mayor a menor
sort-newest = Novedades
sort-name = Nombre

## Cart and checkout

cart-heading = Tu carrito
cart-product = Producto
cart-unit-price = Precio unitario
cart-quantity = Cantidad
cart-line-total = Importe
cart-no-longer-sold = (ya no se vende)
cart-unavailable = no disponible
cart-unavailable-stock = no disponible: quedan { $stock }
cart-update = Actualizar
cart-remove = Quitar
cart-total = Total
cart-address = Dirección de entrega
cart-save-address = Guardar dirección
cart-place-order = Hacer el pedido
cart-needs-address = Guarda una dirección de entrega para hacer el pedido.
cart-guest-email = Correo electrónico para la confirmación
cart-place-order-guest = Pedir sin cuenta
cart-guest-or-login = O bien
cart-guest-login = entra o regístrate
cart-guest-comes-along = : este carrito te acompaña.
cart-empty = Tu carrito está vacío.
cart-browse = Ver el catálogo

## Orders

order-heading = Pedido
order-thanks = ¡Gracias! Estado:
order-placed-by = Realizado el { $date } por { $email }.
order-address = Dirección de entrega
order-history = Historial
order-history-entry = { $status } el { $date } por { $by }
order-mark = Marcar como { $status }
order-all-mine = Todos mis pedidos
orders-status = Estado
orders-any = cualquiera
orders-customer-email = Correo del cliente
orders-filter = Filtrar
orders-number = Número
orders-date = Fecha
orders-customer = Cliente
orders-total = Total
orders-change-status = Cambiar estado
orders-count = { $count ->
    [one] { $count } pedido.
   *[other] { $count } pedidos.
}
orders-empty = Todavía no hay pedidos.
status-paid = pagado
status-shipped = enviado
status-delivered = entregado
status-cancelled = cancelado

## Password reset

forgot-heading = ¿Olvidaste tu contraseña?
forgot-done = Si hay una cuenta con este correo, te hemos enviado un enlace para restablecerla.
forgot-button = Enviarme un enlace
reset-heading = Elige una contraseña nueva
reset-password = Contraseña nueva
reset-button = Guardar contraseña
reset-done = Tu contraseña ha cambiado. Inicia sesión con la nueva.
reset-bad-link = Este enlace ya no sirve: pide uno nuevo.

## Error page

error-id = Id del error:
error-code = código
error-home = Inicio
error-catalog = Catálogo

## Back office

admin-products-heading = Gestionar productos
admin-new-product = Producto nuevo
admin-create-product = Crear producto
admin-all-products = Todos los productos ({ $count })
admin-name = Nombre
admin-category = Categoría
admin-price = Precio
admin-stock = Existencias
admin-edit = Editar
admin-delete = Borrar
admin-delete-confirm = ¿Borrar { $name }?
admin-edit-heading = Editar { $name }
admin-description = Descripción
admin-price-minor = Precio (en céntimos)
admin-price-minor-example = Precio (en céntimos, p. ej. 1999 = 19,99)
admin-photo-url = URL de la foto
admin-options = Opciones
admin-options-hint = Hasta tres, p. ej. Talla con los valores S, M, L. Déjalas vacías si el producto se vende de una sola forma. Después crea las variantes: una por cada combinación que vendas.
admin-option-name = Opción
admin-option-values = Valores, separados por comas
admin-variants-generate = Crear las variantes
admin-variants = Variantes
admin-variant = Variante
admin-variant-only = El producto en sí
admin-sku = SKU
admin-variant-photo = Foto
admin-variant-no-photo = La del producto
admin-save = Guardar
admin-photos-heading = Fotos
admin-photo-alt = Foto { $n }
admin-photo-up = Subir
admin-photo-down = Bajar
admin-photo-delete = Borrar foto
admin-photos-none = Aún no hay fotos subidas: el producto muestra su URL de foto.
admin-photos-choose = Añadir fotos
admin-photos-hint = JPEG, PNG o WebP, hasta { $mb } MB cada una; como máximo { $max } fotos por producto. La primera foto es la que muestra el catálogo.
admin-photos-upload = Subir fotos
admin-photos-full = Este producto tiene { $max } fotos, el máximo: borra una para añadir otra.
admin-mail-heading = Correo saliente
admin-mail-status = Estado
admin-mail-any = cualquiera
admin-mail-created = Creado
admin-mail-kind = Tipo
admin-mail-to = Para
admin-mail-attempts = Intentos
admin-mail-next = Próximo intento
admin-mail-last-error = Último error
admin-mail-retry = Reintentar
admin-mail-filter = Filtrar
admin-mail-count = { $count ->
    [one] { $count } mensaje.
   *[other] { $count } mensajes.
}
config-heading = Configuración
config-profile = Perfil
config-backend = almacén
config-masked = Los secretos aparecen ocultos.

## Support chat

chat-older = Cargar mensajes anteriores
chat-reply-to = Responder a
chat-everyone = todos
chat-message = Mensaje
chat-send = Enviar
chat-my-conversation = Mi conversación con soporte
title-chat = Chat de ayuda
title-chat-with = Chat con { $channel }
title-admin-products = Gestionar productos
title-admin-mail = Correo saliente
title-config = Configuración

## Live stock (product page and cart)

stock-left = { $count ->
    [one] Solo queda { $count }
   *[other] Solo quedan { $count }
}

## Tu cuenta: sus datos y su borrado

nav-account = Mi cuenta
title-account = Mi cuenta
account-heading = Mi cuenta
account-since = Con cuenta desde
account-data-heading = Tus datos
account-data-text = Descarga todo lo que esta tienda guarda sobre ti: tu perfil, direcciones de entrega, pedidos, mensajes del chat y sesiones, en un archivo JSON.
account-export-link = Descargar mis datos
account-erase-heading = Borrar mi cuenta
account-erase-text = Al borrar tu cuenta se cierran todas tus sesiones y no se puede deshacer. Tus pedidos quedan en la contabilidad de la tienda sin tu nombre, correo ni dirección; tus mensajes del chat se eliminan.
account-erase-admin = Una cuenta de administrador no puede borrarse a sí misma: puede borrarla otro administrador, o retira antes tu rol de administrador.
account-erase-password = Tu contraseña, para confirmar
account-erase-button = Borrar mi cuenta definitivamente
account-erased-done = Tu cuenta está borrada. Gracias por comprar con nosotros.
order-address-erased = Eliminada a petición del cliente

## Checkout: totals, addresses, shipping and payment
totals-subtotal = Subtotal
totals-shipping = Envío ({ $method })
totals-tax-included = IVA incluido ({ $rate })
totals-tax-added = Impuestos ({ $rate })
address-name = Nombre y apellidos
address-line1 = Calle y número
address-line2 = Piso, puerta (opcional)
address-postal-code = Código postal
address-city = Ciudad
address-region = Provincia (opcional)
address-country = Código de país (ES, PT, FR…)
address-phone = Teléfono (opcional)
cart-shipping-method = Envío
cart-no-shipping = Ningún método de envío entrega en esta dirección.
cart-payment-method = Pago
payment-method-bank_transfer = Transferencia bancaria
payment-method-cash_on_delivery = Contra reembolso
payment-method-stripe = Tarjeta
payment-status-pending = pendiente de pago
payment-status-on_delivery = se paga al recibirlo
payment-status-failed = el último pago con tarjeta falló
payment-status-paid = pagado
payment-status-voided = no pagado (cancelado)
payment-status-partially_refunded = reembolsado en parte
payment-status-refunded = reembolsado
status-awaiting_payment = pendiente de pago
status-refunded = reembolsado
order-payment = Pago
order-refunded-amount = { $amount } reembolsados
order-bank-intro = Transfiere { $total } a esta cuenta indicando la referencia, y enviaremos tu pedido:
bank-holder = Titular
bank-iban = IBAN
bank-bic = BIC
bank-name = Banco
bank-reference = Referencia
order-card-intro = Paga { $total } con tarjeta para confirmar tu pedido.
order-card-pay = Pagar { $total }
order-card-paid = Pago aceptado. Confirmando tu pedido…
order-card-failed = El pago no se completó. Inténtalo de nuevo o usa otra tarjeta.
order-card-needs-script = El pago con tarjeta necesita JavaScript.
order-tracking = Seguimiento
order-tracking-follow = Seguir el paquete
order-actions = Acciones
order-carrier = Transportista
order-tracking-number = Número de seguimiento
order-tracking-url = Enlace de seguimiento
order-cancel-confirm = ¿Cancelar este pedido? Su stock vuelve y un pago con tarjeta se reembolsa.
order-refund = Reembolsar
order-refund-amount = Importe a reembolsar, en céntimos (como mucho { $max })
order-refund-confirm = ¿Reembolsar este importe al cliente?

## Admin: shipping methods, tax class and weight
nav-admin-shipping = Envíos
title-admin-shipping = Métodos de envío
admin-shipping-heading = Métodos de envío
admin-shipping-hint = El pago ofrece cada método que envía al país del cliente, en este orden. Una zona sin países cubre todos los que las demás zonas del método no nombran. Los precios van en céntimos.
admin-shipping-new = Nuevo método de envío
admin-shipping-id = Identificador (minúsculas, cifras, guiones)
admin-shipping-name = Nombre
admin-shipping-position = Posición
admin-shipping-zones = Zonas
admin-shipping-zone = Zona
admin-shipping-countries = Países (códigos separados por comas; vacío: todos los demás)
admin-shipping-free-above = Gratis desde un subtotal de (céntimos)
admin-shipping-bands = Por peso (gramos:céntimos, …)
admin-shipping-zones-hint = Rellena la fila vacía para añadir una zona; vacía una fila para quitarla.
admin-shipping-save = Guardar
admin-shipping-create = Crear método
admin-tax-class = Tipo de IVA
tax-class-standard = Tipo general
tax-class-reduced = Tipo reducido
admin-weight = Peso en gramos (opcional)

## Lista de productos del administrador: búsqueda, existencias bajas, cambios rápidos
admin-products-search = Nombre o SKU
admin-low-stock-only = Solo existencias bajas
admin-low-stock-heading = Existencias bajas ({ $count ->
    [one] un producto
   *[other] { $count } productos
})
admin-low-stock-hint = Variantes en su nivel de existencias bajas o por debajo (el de la tienda es { $threshold }), de menos a más existencias.
admin-low-stock-badge = bajo (aviso a partir de { $threshold })
admin-variant-save = Guardar
admin-products-showing = Productos { $first }–{ $last } de { $total }
admin-low-stock-threshold = Aviso de existencias bajas a partir de (unidades; vacío: el de la tienda)
admin-audit-heading = Registro de auditoría
admin-audit-intro = Cada cambio hecho por un administrador o por el personal: quién, cuándo, sobre qué, y cómo estaba antes y después. Las entradas no se pueden cambiar.
admin-audit-actor = Quién
admin-audit-action = Acción
admin-audit-target = Objeto
admin-audit-from = Desde
admin-audit-to = Hasta
admin-audit-filter = Filtrar
admin-audit-count = { $count ->
    [one] Una entrada
   *[other] { $count } entradas
}
admin-audit-when = Cuándo
admin-audit-before = Antes
admin-audit-after = Después
admin-audit-show = Ver
admin-audit-pages = Páginas del registro de auditoría
admin-audit-previous = Entradas más recientes
admin-audit-next = Entradas más antiguas
title-admin-audit = Registro de auditoría
nav-admin-audit = Auditoría
nav-admin-dashboard = Panel
nav-admin-customers = Clientes
admin-products-csv-link = Importar o exportar el catálogo en CSV

## Back office: orders and customers

title-admin-orders = Pedidos
title-admin-customers = Clientes
title-admin-customer = Cliente { $email }
title-packing-slip = Albarán, pedido { $number }
admin-paging = Páginas
admin-orders-heading = Pedidos
admin-orders-status = Estado
admin-orders-any = cualquiera
admin-orders-from = Desde
admin-orders-to = Hasta
admin-orders-email = Correo del cliente
admin-orders-number = Número de pedido
admin-orders-filter = Filtrar
admin-orders-date = Fecha
admin-orders-payment = Pago
admin-orders-total = Total
admin-orders-none = Ningún pedido cumple estos filtros.
admin-orders-count = { $count ->
    [one] 1 pedido
   *[other] { $count } pedidos
}
admin-customers-heading = Clientes
admin-customers-search = Correo o nombre
admin-customers-search-button = Buscar
admin-customers-email = Correo
admin-customers-name = Nombre
admin-customers-role = Rol
admin-customers-created = Alta
admin-customers-state = Cuenta
admin-customers-enabled = activa
admin-customers-disabled = desactivada
admin-customers-none = Ninguna cuenta coincide.
admin-customers-count = { $count ->
    [one] 1 cuenta
   *[other] { $count } cuentas
}
role-customer = cliente
role-staff = personal
role-admin = administrador
admin-customer-account = Cuenta
admin-customer-phone = Teléfono
admin-customer-spent = Total gastado
admin-customer-disabled-since = desactivada desde { $date }
admin-customer-actions = Acciones
admin-customer-disable = Desactivar la cuenta
admin-customer-disable-confirm = ¿Desactivar esta cuenta? Todas sus sesiones terminan ahora y no podrá entrar hasta que se active.
admin-customer-enable = Activar la cuenta
admin-customer-orders = Pedidos
admin-customer-orders-all = { $count ->
    [one] El único pedido en la lista de pedidos
   *[other] Los { $count } pedidos en la lista de pedidos
}
admin-customer-no-orders = Aún no hay pedidos.
admin-customer-chat = Chat
admin-customer-chat-open = Abrir su canal de chat
admin-customer-no-messages = No hay mensajes de chat.
order-resend = Enviar de nuevo el correo de confirmación
order-resend-done = El correo de confirmación está en cola.
order-packing-slip = Albarán
packing-slip-heading = Albarán
packing-slip-order = Pedido
packing-slip-date = Realizado
packing-slip-shipping = Envío
packing-slip-ship-to = Enviar a
packing-slip-contents = Contenido
packing-slip-item = Artículo
packing-slip-sku = SKU
packing-slip-options = Opciones
packing-slip-quantity = Cantidad
packing-slip-units = Unidades
packing-slip-back = Volver al pedido
## Panel de ventas

title-admin-dashboard = Panel de ventas
dash-heading = Panel de ventas
dash-range = Días mostrados (UTC)
dash-from = Desde
dash-to = Hasta
dash-show = Mostrar
dash-range-summary = Del { $from } al { $to }, días UTC.
dash-totals = Totales
dash-revenue = Ingresos
dash-orders = Pedidos
dash-aov = Valor medio del pedido
dash-new-customers = Clientes nuevos
dash-revenue-chart = Ingresos por día
dash-revenue-desc = Gráfico de barras de los ingresos de cada día del { $from } al { $to }: { $total } en total, { $max } el mejor día. La tabla «Cifras por día» recoge cada día.
dash-orders-chart = Pedidos por día
dash-orders-desc = Gráfico de barras de los pedidos de cada día del { $from } al { $to }: { $total } en total, { $max } el día con más pedidos. La tabla «Cifras por día» recoge cada día.
dash-daily-table = Cifras por día
dash-day = Día
dash-by-status = Pedidos por estado
dash-by-status-note = Todos los pedidos que están ahora en cada estado, se hicieran cuando se hicieran.
dash-status = Estado
dash-top-products = Productos más vendidos
dash-product = Producto
dash-units = Unidades
dash-no-sales = No hubo ventas esos días.
dash-low-stock = Poco stock ahora
dash-sku = SKU
dash-stock = En stock
dash-threshold = Nivel de aviso
dash-low-stock-all = Todos los productos con poco stock
dash-no-low-stock = Ningún producto está en su nivel de aviso o por debajo.
dash-definitions = Los pedidos cuentan el día UTC en que se hicieron. Los pedidos cancelados no se cuentan; los reembolsos restan de los ingresos del día en que se hizo su pedido.
## CSV del catálogo

admin-csv-heading = Importar y exportar el catálogo en CSV
admin-csv-intro = Importa productos desde un archivo CSV, una fila por variante, identificada por su SKU: un SKU conocido actualiza su variante y su producto, uno nuevo la crea. Comprueba antes el archivo: nada cambia hasta que importas, y un archivo con alguna línea mala no importa nada.
admin-csv-file = Archivo CSV (UTF-8, separado por comas o por punto y coma)
admin-csv-check = Comprobar (sin cambios)
admin-csv-import = Importar
admin-csv-report-check = Informe de la comprobación
admin-csv-report-import = Informe de la importación
admin-csv-problems = { $count ->
    [one] El archivo tiene un problema; no se importó nada.
   *[other] El archivo tiene { $count } problemas; no se importó nada.
}
admin-csv-problems-caption = Problemas por línea
admin-csv-line = Línea
admin-csv-field = Columna
admin-csv-problem = Problema
admin-csv-ok-check = El archivo está bien. Impórtalo para hacer estos cambios.
admin-csv-ok-import = El archivo se importó.
admin-csv-counts-caption = Cambios
admin-csv-what = Qué
admin-csv-count = Cuántos
admin-csv-rows = Filas leídas
admin-csv-products-created = Productos creados
admin-csv-products-updated = Productos actualizados
admin-csv-variants-created = Variantes creadas
admin-csv-variants-updated = Variantes actualizadas
admin-csv-exports = Exportaciones
admin-csv-export-products = Productos (CSV, las columnas de la importación)
admin-csv-export-orders = Pedidos (CSV)
admin-csv-export-customers = Clientes (CSV)
admin-csv-columns = Columnas
admin-csv-columns-hint = Obligatorias: sku, name, category, price, stock. Los precios son importes como 19.99; las demás columnas pueden faltar (el producto conserva lo que tiene).
